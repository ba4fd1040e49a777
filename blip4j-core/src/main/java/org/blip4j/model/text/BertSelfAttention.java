package org.blip4j.model.text;

import org.blip4j.config.TextConfig;
import org.blip4j.nn.Attention;
import org.blip4j.nn.Block;
import org.blip4j.nn.Linear;
import org.bytedeco.pytorch.Tensor;

/**
 * Multi-head attention projections, mirrors {@code med.py BertSelfAttention}; for cross-attention key and value read
 * states of the encoder width.
 *
 * <p>Shapes: B rows, L queries, S keys, H heads, hd head dim, D hidden.
 */
public final class BertSelfAttention extends Block {
    private final Linear query;
    private final Linear key;
    private final Linear value;
    private final int heads;
    private final double dropout;

    /**
     * Sizes and attention-probability dropout from the config (no constructor takes them apart, so none can drop the
     * dropout setting); {@code kvWidth} is the width of the states keys and values read (hidden size for
     * self-attention, {@code encoder_width} for cross-attention).
     */
    public BertSelfAttention(TextConfig c, int kvWidth) {
        int hidden = c.hiddenSize();
        this.heads = c.numHeads();
        this.dropout = c.attentionDropout();
        this.query = child("query", new Linear(hidden, hidden));
        this.key = child("key", new Linear(kvWidth, hidden));
        this.value = child("value", new Linear(kvWidth, hidden));
    }

    /** Splits (B, L, D) into heads (B, H, L, hd). */
    Tensor heads(Tensor x) {
        long b = x.size(0);
        long l = x.size(1);
        return x.view(b, l, heads, x.size(2) / heads).transpose(1, 2);
    }

    Tensor keys(Tensor states) {
        return heads(key.forward(states)); // (B, H, S, hd)
    }

    Tensor values(Tensor states) {
        return heads(value.forward(states)); // (B, H, S, hd)
    }

    /**
     * Attends queries from {@code hidden} (B, L, D) to k, v (B', H, S, hd), where B = B' × g: each of the g
     * consecutive rows of one source (an image's beams) share its keys and values, so those are computed once (a mask is then per source: (B', 1, 1, S)).
     */
    Tensor attend(Tensor hidden, Tensor k, Tensor v, Tensor mask) {
        Tensor q = heads(query.forward(hidden)); // (B, H, L, hd)
        long b = q.size(0);
        long l = q.size(2);
        long hd = q.size(3);
        long src = k.size(0);
        Tensor ctx;
        if (src == b) {
            ctx = Attention.sdpa(q, k, v, mask, training() ? dropout : 0.0); // (B, H, L, hd)
        } else {
            long g = b / src; // rows per source; fold them into the query length
            Tensor qf = q.view(src, g, heads, l, hd).transpose(1, 2).reshape(src, heads, g * l, hd); // (B', H, g·L, hd)
            ctx = Attention.sdpa(qf, k, v, mask, training() ? dropout : 0.0)
                    .view(src, heads, g, l, hd)
                    .transpose(1, 2)
                    .reshape(b, heads, l, hd);
        }
        return ctx.transpose(1, 2).reshape(b, l, (long) heads * hd); // (B, L, D)
    }
}

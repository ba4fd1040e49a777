package org.blip4j.model.text;

import java.util.ArrayList;
import java.util.List;
import org.blip4j.config.TextConfig;
import org.blip4j.engine.LayerScope;
import org.blip4j.engine.T;
import org.blip4j.nn.Block;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The MED text transformer (paper §3.1), mirrors {@code models/med.py BertModel} without pooler (children {@code
 * embeddings},
 * {@code encoder.layer.N}); one network used as unimodal encoder, image-grounded encoder or causal decoder.
 *
 * <p>Shapes: B rows, L new tokens, T = past + L, S source tokens, D hidden.
 */
public final class BertModel extends Block {
    /** Additive value for masked self-attention positions, as BLIP's med.py. */
    public static final double MASKED = -10000.0;
    /** Additive value for masked cross-attention positions (transformers 4.15 {@code invert_attention_mask}, fp32). */
    public static final double CROSS_MASKED = -1e9;

    private final TextConfig config;
    final BertEmbeddings embeddings;
    private final List<BertLayer> layers;

    public BertModel(TextConfig c) {
        this(c, false);
    }

    /** With {@code nlvrTwin}, every cross-attention attends to two images (NLVR2's encoder). */
    public BertModel(TextConfig c, boolean nlvrTwin) {
        this.config = c;
        this.embeddings = child("embeddings", new BertEmbeddings(c));
        List<BertLayer> list = new ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) {
            list.add(new BertLayer(c, i, nlvrTwin));
        }
        Encoder enc = child("encoder", new Encoder());
        this.layers = enc.layers(list);
    }

    /**
     * A text transformer that shares its embeddings, cross-attention and feed-forward blocks with {@code shared} and
     * has its own self-attention: BLIP's pre-training decoder (paper §3.2, "all except SA").
     */
    public BertModel(TextConfig c, BertModel shared) {
        this.config = c;
        this.embeddings = child("embeddings", shared.embeddings);
        List<BertLayer> list = new ArrayList<>();
        for (BertLayer l : shared.layers) {
            list.add(new BertLayer(c, l));
        }
        Encoder enc = child("encoder", new Encoder());
        this.layers = enc.layers(list);
    }

    public TextConfig config() {
        return config;
    }

    /** Holds the layer list under the checkpoint name {@code encoder.layer}. */
    static final class Encoder extends Block {
        List<BertLayer> layers(List<BertLayer> list) {
            return children("layer", list);
        }
    }

    /** Encoder modes (no cache): ids and mask (B, L) int64; states for MULTIMODAL (B', S, W); returns (B, L, D). */
    public Tensor forward(Tensor ids, Tensor mask, TextMode mode, Tensor states) {
        return forward(ids, mask, mode, CrossStates.of(states), null, null);
    }

    /**
     * Full forward. {@code mask} (B, T) covers past and new tokens (null = all ones); {@code statesMask} (B', S) or
     * null = all ones; {@code cache} only for DECODER.
     */
    public Tensor forward(
            Tensor ids, Tensor mask, TextMode mode, CrossStates states, Tensor statesMask, KvCache cache) {
        long past = cache == null ? 0 : cache.length();
        long b = ids.size(0);
        long l = ids.size(1);
        if (mask == null) {
            mask = torch.ones(b, past + l);
        }
        Tensor m = mask.to(torch.ScalarType.Float); // (B, T)
        Tensor ext;
        if (mode == TextMode.DECODER) {
            Tensor causal = torch.ones(l, past + l).tril(past); // (L, T): query i sees keys j <= past + i
            ext = causal.unsqueeze(0).mul(m.unsqueeze(1)).unsqueeze(1); // (B, 1, L, T)
        } else {
            if (cache != null) {
                throw new IllegalArgumentException("a KV cache is only used in DECODER mode");
            }
            ext = m.unsqueeze(1).unsqueeze(1); // (B, 1, 1, T)
        }
        Tensor selfMask = ext.mul(T.s(-MASKED)).add(T.s(MASKED)); // (1 - m) * MASKED
        Tensor crossMask = statesMask == null
                ? null
                : statesMask
                        .to(torch.ScalarType.Float)
                        .unsqueeze(1)
                        .unsqueeze(1) // (B', 1, 1, S)
                        .mul(T.s(-CROSS_MASKED))
                        .add(T.s(CROSS_MASKED));
        CrossStates src = mode == TextMode.UNIMODAL ? null : states;
        if (mode != TextMode.UNIMODAL && states == null) {
            throw new IllegalArgumentException(mode + " mode needs encoder states");
        }
        Tensor x = embeddings.forward(ids, past); // (B, L, D)
        for (int i = 0; i < layers.size(); i++) {
            BertLayer layer = layers.get(i);
            Tensor in = x;
            KvCache.Layer slot = cache == null ? null : cache.layer(i);
            x = LayerScope.run(
                    () -> layer.forward(in, selfMask, src, crossMask, slot)); // (B, L, D), intermediates freed
        }
        return x;
    }

    /** The word-embedding matrix (V, D), tied to the LM head's decoder weight. */
    public Tensor wordEmbeddings() {
        return embeddings.wordEmbeddings.weight;
    }
}

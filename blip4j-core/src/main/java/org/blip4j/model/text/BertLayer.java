package org.blip4j.model.text;

import org.blip4j.config.TextConfig;
import org.blip4j.engine.T;
import org.blip4j.nn.Block;
import org.blip4j.nn.Linear;
import org.bytedeco.pytorch.Tensor;

/**
 * One MED layer, mirrors {@code med.py BertLayer}: self-attention, cross-attention (multimodal and decoder modes
 * only), feed-forward; all post-norm. The NLVR2 variant has a twin cross-attention over two images.
 */
public final class BertLayer extends Block {
    private final BertAttention attention;
    private final BertAttention crossattention;
    private final NlvrTwinAttention twin;
    private final Intermediate intermediate;
    private final BertSelfOutput output;
    private final int index;

    /**
     * A decoder layer sharing everything but its self-attention with an encoder layer, as BLIP_Pretrain's
     * {@code tie_encoder_decoder_weights(..., skip_key='/attention')}: cross-attention and feed-forward are the same
     * blocks (so the same tensors and summed gradients).
     */
    BertLayer(TextConfig c, BertLayer shared) {
        this.index = shared.index;
        this.attention = child("attention", new BertAttention(c, c.hiddenSize()));
        this.crossattention = shared.crossattention == null ? null : child("crossattention", shared.crossattention);
        this.twin = null;
        this.intermediate = child("intermediate", shared.intermediate);
        this.output = child("output", shared.output);
    }

    BertLayer(TextConfig c, int index, boolean nlvrTwin) {
        this.index = index;
        this.attention = child("attention", new BertAttention(c, c.hiddenSize()));
        if (c.addCrossAttention() && nlvrTwin) {
            this.twin = child("crossattention", new NlvrTwinAttention(c, index));
            this.crossattention = null;
        } else if (c.addCrossAttention()) {
            this.crossattention = child("crossattention", new BertAttention(c, c.encoderWidth()));
            this.twin = null;
        } else {
            this.crossattention = null;
            this.twin = null;
        }
        this.intermediate = child("intermediate", new Intermediate(c));
        this.output = child("output", new BertSelfOutput(c, c.intermediateSize()));
    }

    /**
     * x (B, L, D); selfMask additive (B, 1, L|1, T); states: encoder states (one, or two for NLVR2) (B', S, W) or null
     * for the unimodal mode; statesMask additive (B', 1, 1, S) or null.
     */
    Tensor forward(Tensor x, Tensor selfMask, Tensor[] states, Tensor statesMask, KvCache cache) {
        Tensor h = attention.selfAttend(x, selfMask, cache, index);
        if (states != null) {
            if (twin != null) {
                h = twin.forward(h, states, statesMask);
            } else if (crossattention != null) {
                h = crossattention.crossAttend(h, states[0], statesMask, cache, index);
            } else {
                throw new IllegalStateException(
                        "this text transformer has no cross-attention (add_cross_attention=false)");
            }
        }
        return output.forward(intermediate.forward(h), h);
    }

    /** dense then exact GELU, mirrors {@code med.py BertIntermediate}. */
    static final class Intermediate extends Block {
        private final Linear dense;

        Intermediate(TextConfig c) {
            this.dense = child("dense", new Linear(c.hiddenSize(), c.intermediateSize()));
        }

        Tensor forward(Tensor x) {
            return T.gelu(dense.forward(x));
        }
    }
}

package org.blip4j.model.text;

import org.blip4j.config.TextConfig;
import org.blip4j.nn.Activation;
import org.blip4j.nn.Block;
import org.blip4j.nn.Linear;
import org.bytedeco.pytorch.Tensor;

/**
 * One MED layer, mirrors {@code models/med.py BertLayer}: self-attention, cross-attention (multimodal and decoder
 * modes only), feed-forward; all post-norm. NLVR2's cross-attention slot holds a twin attention over two images.
 */
public final class BertLayer extends Block {
    private final BertAttention attention;
    /** One image (or question) source, NLVR2's pair of images, or null without {@code add_cross_attention}. */
    private final CrossAttention crossattention;

    private final Intermediate intermediate;
    private final BertSelfOutput output;

    /**
     * A decoder layer sharing everything but its self-attention with an encoder layer, as BLIP_Pretrain's
     * {@code tie_encoder_decoder_weights(..., skip_key='/attention')}: cross-attention and feed-forward are the same
     * blocks (so the same tensors and summed gradients).
     */
    BertLayer(TextConfig c, BertLayer shared) {
        this.attention = child("attention", new BertAttention(c, false));
        this.crossattention = shared.crossattention == null ? null : crossChild(shared.crossattention);
        this.intermediate = child("intermediate", shared.intermediate);
        this.output = child("output", shared.output);
    }

    /** Layer {@code index} of a text transformer; with {@code nlvrTwin}, the cross-attention reads two images. */
    BertLayer(TextConfig c, int index, boolean nlvrTwin) {
        this.attention = child("attention", new BertAttention(c, false));
        if (!c.addCrossAttention()) {
            this.crossattention = null;
        } else {
            this.crossattention = crossChild(nlvrTwin ? new NlvrTwinAttention(c, index) : new BertAttention(c, true));
        }
        this.intermediate = child("intermediate", new Intermediate(c));
        this.output = child("output", new BertSelfOutput(c, c.intermediateSize()));
    }

    private CrossAttention crossChild(CrossAttention a) {
        child("crossattention", (Block) a);
        return a;
    }

    /**
     * x (B, L, D); selfMask additive (B, 1, L|1, T); states: what cross-attention reads, or null for the unimodal mode;
     * statesMask additive (B', 1, 1, S) or null; slot: this layer's cache slot or null.
     */
    Tensor forward(Tensor x, Tensor selfMask, CrossStates states, Tensor statesMask, KvCache.Layer slot) {
        Tensor h = attention.selfAttend(x, selfMask, slot);
        if (states != null) {
            if (crossattention == null) {
                throw new IllegalStateException(
                        "this text transformer has no cross-attention (add_cross_attention=false)");
            }
            h = crossattention.crossAttend(h, states, statesMask, slot);
        }
        return output.forward(intermediate.forward(h), h);
    }

    /** dense then the config's activation (BLIP: exact GELU), mirrors {@code models/med.py BertIntermediate}. */
    static final class Intermediate extends Block {
        private final Linear dense;
        private final Activation act;

        Intermediate(TextConfig c) {
            this.dense = child("dense", new Linear(c.hiddenSize(), c.intermediateSize()));
            this.act = c.hiddenAct();
        }

        Tensor forward(Tensor x) {
            return act.apply(dense.forward(x));
        }
    }
}

package org.blip4j.model.text;

import org.blip4j.config.TextConfig;
import org.blip4j.engine.T;
import org.blip4j.nn.Block;
import org.blip4j.nn.LayerNorm;
import org.blip4j.nn.Linear;
import org.bytedeco.pytorch.Tensor;

/**
 * NLVR2's cross-attention over two images, mirrors {@code models/nlvr_encoder.py}: {@code self0}/{@code self1}
 * attend to image 0 and image 1; {@code output.dense0}/{@code dense1} project them; layers below 6 average the two,
 * layers from 6 on concatenate and apply {@code merge_layer}; then dropout, residual and LayerNorm. Dropout as the
 * reference: {@code attention_probs_dropout_prob} inside both attentions, {@code hidden_dropout_prob} on the merged
 * output (training only); both come from the config.
 */
public final class NlvrTwinAttention extends Block {
    /** nlvr_encoder.py hard-codes the first merging layer as 6. */
    public static final int FIRST_MERGE_LAYER = 6;

    private final BertSelfAttention self0;
    private final BertSelfAttention self1;
    private final TwinOutput output;

    NlvrTwinAttention(TextConfig c, int layer) {
        this.self0 = child("self0", new BertSelfAttention(c, c.encoderWidth()));
        this.self1 = child("self1", new BertSelfAttention(c, c.encoderWidth()));
        this.output = child("output", new TwinOutput(c, layer >= FIRST_MERGE_LAYER));
    }

    Tensor forward(Tensor x, Tensor[] states, Tensor statesMask) {
        if (states.length != 2) {
            throw new IllegalArgumentException("NLVR2 cross-attention needs two image states, got " + states.length);
        }
        Tensor a0 = self0.attend(x, self0.keys(states[0]), self0.values(states[0]), statesMask);
        Tensor a1 = self1.attend(x, self1.keys(states[1]), self1.values(states[1]), statesMask);
        return output.forward(a0, a1, x);
    }

    /** dense0 / dense1, optional merge_layer, dropout, LayerNorm; mirrors nlvr_encoder's twin {@code BertSelfOutput}. */
    static final class TwinOutput extends Block {
        private final Linear dense0;
        private final Linear dense1;
        private final Linear mergeLayer;
        private final LayerNorm layerNorm;
        private final double dropout;

        TwinOutput(TextConfig c, boolean merge) {
            this.dropout = c.hiddenDropout();
            this.layerNorm = child("LayerNorm", new LayerNorm(c.hiddenSize(), c.layerNormEps()));
            this.dense0 = child("dense0", new Linear(c.hiddenSize(), c.hiddenSize()));
            this.dense1 = child("dense1", new Linear(c.hiddenSize(), c.hiddenSize()));
            this.mergeLayer = merge ? child("merge_layer", new Linear(2L * c.hiddenSize(), c.hiddenSize())) : null;
        }

        Tensor forward(Tensor h0, Tensor h1, Tensor residual) {
            Tensor a = dense0.forward(h0);
            Tensor b = dense1.forward(h1);
            Tensor h = mergeLayer != null
                    ? mergeLayer.forward(T.cat(-1, a, b))
                    : a.add(b).mul(T.s(0.5)); // (B, L, D)
            return layerNorm.forward(dropout(h, dropout).add(residual));
        }
    }
}

package org.blip4j.model.text;

import org.blip4j.config.TextConfig;
import org.blip4j.nn.Block;
import org.blip4j.nn.LayerNorm;
import org.blip4j.nn.Linear;
import org.bytedeco.pytorch.Tensor;

/** dense, residual, LayerNorm (post-norm); mirrors {@code med.py BertSelfOutput} and {@code BertOutput}. */
public final class BertSelfOutput extends Block {
    private final Linear dense;
    private final LayerNorm layerNorm;
    private final double dropout;

    /**
     * Width, LayerNorm eps and {@code hidden_dropout_prob} from the config; {@code in} is the width of the sub-layer
     * output it projects (hidden size after attention, intermediate size after the feed-forward).
     */
    public BertSelfOutput(TextConfig c, int in) {
        this.dropout = c.hiddenDropout();
        this.dense = child("dense", new Linear(in, c.hiddenSize()));
        this.layerNorm = child("LayerNorm", new LayerNorm(c.hiddenSize(), c.layerNormEps()));
    }

    public Tensor forward(Tensor h, Tensor residual) {
        return layerNorm.forward(dropout(dense.forward(h), dropout).add(residual));
    }
}

package org.blip4j.model.text;

import org.blip4j.nn.Block;
import org.blip4j.nn.LayerNorm;
import org.blip4j.nn.Linear;
import org.bytedeco.pytorch.Tensor;

/** dense, residual, LayerNorm (post-norm); mirrors {@code med.py BertSelfOutput} and {@code BertOutput}. */
public final class BertSelfOutput extends Block {
  private final Linear dense;
  private final LayerNorm layerNorm;
  private final double dropout;

  public BertSelfOutput(int in, int hidden, double eps) {
    this(in, hidden, eps, 0.0);
  }

  public BertSelfOutput(int in, int hidden, double eps, double hiddenDropout) {
    this.dropout = hiddenDropout;
    this.dense = child("dense", new Linear(in, hidden));
    this.layerNorm = child("LayerNorm", new LayerNorm(hidden, eps));
  }

  public Tensor forward(Tensor h, Tensor residual) {
    return layerNorm.forward(dropout(dense.forward(h), dropout).add(residual));
  }
}

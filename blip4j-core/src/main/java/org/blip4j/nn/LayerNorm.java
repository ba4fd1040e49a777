package org.blip4j.nn;

import org.blip4j.engine.T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** {@code nn.LayerNorm} over the last dimension; eps always comes from the config. */
public final class LayerNorm extends Block {
    public final Tensor weight;
    public final Tensor bias;
    private final double eps;

    public LayerNorm(long dim, double eps) {
        this.weight = register("weight", torch.ones(dim));
        this.bias = param("bias", dim);
        this.eps = eps;
    }

    public Tensor forward(Tensor x) {
        return T.layerNorm(x, weight, bias, eps);
    }
}

package org.blip4j.nn;

import org.blip4j.engine.T;
import org.bytedeco.pytorch.Tensor;

/** {@code nn.Linear}: y = x W^T + b, weight (out, in). */
public final class Linear extends Block {
    public final Tensor weight;
    public final Tensor bias;

    public Linear(long in, long out, boolean bias) {
        this.weight = param("weight", out, in);
        this.bias = bias ? param("bias", out) : null;
    }

    public Linear(long in, long out) {
        this(in, out, true);
    }

    public Tensor forward(Tensor x) {
        return T.linear(x, weight, bias);
    }
}

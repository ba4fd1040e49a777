package org.blip4j.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** {@code nn.Embedding}: a lookup table (num, dim). */
public final class Embedding extends Block {
    public final Tensor weight;

    public Embedding(long num, long dim) {
        this.weight = param("weight", num, dim);
    }

    public Tensor forward(Tensor ids) {
        return torch.embedding(weight, ids);
    }
}

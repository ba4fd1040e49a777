package org.blip4j.nn;

import org.blip4j.engine.BlasThreads;
import org.blip4j.engine.T;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Scaled dot-product attention with an optional additive mask (softmax(q k^T / sqrt(hd) + mask) v). Without autograd
 * it is libtorch's fused CPU kernel, run as a {@link BlasThreads#serial serial-BLAS section} because that kernel
 * parallelises over heads itself. With autograd it is written out as {@code med.py} / {@code vit.py} write it (matmul,
 * softmax, dropout, matmul): the fused kernel's backward calls the threaded OpenBLAS from inside its own parallel loop,
 * outside any section we can open, and oversubscribed 2 cores 10-fold at ViT-B sizes.
 */
public final class Attention {
    private Attention() {}

    /** q (B, H, L, hd), k and v (B, H, S, hd), mask broadcastable to (B, H, L, S) or null. */
    public static Tensor sdpa(Tensor q, Tensor k, Tensor v, Tensor mask) {
        return sdpa(q, k, v, mask, 0.0);
    }

    /** With dropout on the attention probabilities (training). */
    public static Tensor sdpa(Tensor q, Tensor k, Tensor v, Tensor mask, double dropout) {
        if (GradMode.is_enabled() && (q.requires_grad() || k.requires_grad() || v.requires_grad())) {
            Tensor scores = torch.matmul(q, k.transpose(-2, -1)).mul(T.s(1.0 / Math.sqrt(q.size(-1)))); // (B, H, L, S)
            if (mask != null) {
                scores = scores.add(mask);
            }
            Tensor probs = scores.softmax(-1); // (B, H, L, S)
            if (dropout > 0) {
                probs = torch.dropout(probs, dropout, true);
            }
            return torch.matmul(probs, v); // (B, H, L, hd)
        }
        return BlasThreads.serial(() ->
                torch.scaled_dot_product_attention(q, k, v, T.opt(mask), dropout, false, new DoubleOptional(), false));
    }
}

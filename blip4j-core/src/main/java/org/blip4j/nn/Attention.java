package org.blip4j.nn;

import org.blip4j.engine.BlasThreads;
import org.blip4j.engine.T;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Scaled dot-product attention with an optional additive mask (softmax(q k^T / sqrt(hd) + mask) v), run as a
 * {@link BlasThreads#serial serial-BLAS section} because libtorch's CPU kernel parallelises over heads itself.
 */
public final class Attention {
  private Attention() {}

  /** q (B, H, L, hd), k and v (B, H, S, hd), mask broadcastable to (B, H, L, S) or null. */
  public static Tensor sdpa(Tensor q, Tensor k, Tensor v, Tensor mask) {
    return BlasThreads.serial(
        () -> torch.scaled_dot_product_attention(q, k, v, T.opt(mask), 0.0, false, new DoubleOptional(), false));
  }
}

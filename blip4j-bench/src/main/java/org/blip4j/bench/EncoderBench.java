package org.blip4j.bench;

import org.blip4j.model.BlipDecoder;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/** Times the image encoder and the reference matrix product that its throughput is compared with. */
final class EncoderBench {
    static final long MATMUL_N = 2048;

    private final BlipDecoder model;

    EncoderBench(BlipDecoder model) {
        this.model = model;
    }

    /** GFLOP/s of one 2048×2048×2048 float32 matmul (fresh operands are reused across calls). */
    double matmulGflops(Tensor a, Tensor b) {
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            long t0 = System.nanoTime();
            a.matmul(b);
            double sec = (System.nanoTime() - t0) / 1e9;
            return Flops.matmul(MATMUL_N, MATMUL_N, MATMUL_N) / sec / 1e9;
        }
    }

    /** Seconds for one forward pass of the encoder over {@code pixels} (B, 3, S, S). */
    double encodeSeconds(Tensor pixels) {
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            long t0 = System.nanoTime();
            Tensor out = model.encodeImage(pixels);
            double sec = (System.nanoTime() - t0) / 1e9;
            if (out.size(1) != model.config().vision().numTokens()) {
                throw new IllegalStateException("unexpected encoder output " + out.size(1));
            }
            return sec;
        }
    }
}

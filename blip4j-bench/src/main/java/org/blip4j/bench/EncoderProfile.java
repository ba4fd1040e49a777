package org.blip4j.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.blip4j.config.VisionConfig;
import org.blip4j.engine.BlasThreads;
import org.blip4j.engine.T;
import org.blip4j.nn.Attention;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Where the encoder's time goes ({@code CoreBenchmark --profile}): times each operation of one ViT block (the same
 * calls as {@code VisionTransformer}) in isolation at the real shapes, plus alternatives for the attention, and prints
 * wall and CPU milliseconds and GFLOP/s per operation.
 */
final class EncoderProfile {
    private static final int CORES = Runtime.getRuntime().availableProcessors();

    private final VisionConfig c;

    EncoderProfile(VisionConfig c) {
        this.c = c;
    }

    /** Prints the per-operation table for a batch size to standard error. */
    void run(int batch) {
        long b = batch;
        long n = c.numTokens();
        long d = c.hiddenSize();
        long f = c.intermediateSize();
        long h = c.numHeads();
        long hd = d / h;
        Tensor x = torch.randn(b, n, d);
        Tensor lnW = torch.ones(d);
        Tensor lnB = torch.zeros(d);
        Tensor wQkv = torch.randn(3 * d, d).mul(T.s(0.02));
        Tensor bQkv = torch.zeros(3 * d);
        Tensor wProj = torch.randn(d, d).mul(T.s(0.02));
        Tensor bProj = torch.zeros(d);
        Tensor w1 = torch.randn(f, d).mul(T.s(0.02));
        Tensor b1 = torch.zeros(f);
        Tensor w2 = torch.randn(d, f).mul(T.s(0.02));
        Tensor b2 = torch.zeros(d);
        Tensor qkvs = T.linear(x, wQkv, bQkv).reshape(b, n, 3, h, hd).permute(2, 0, 3, 1, 4); // (3, B, H, N, hd) views
        Tensor q = qkvs.select(0, 0);
        Tensor k = qkvs.select(0, 1);
        Tensor v = qkvs.select(0, 2);
        Tensor o = Attention.sdpa(q, k, v, null);
        Tensor hidden = T.linear(x, w1, b1);
        double scale = 1.0 / Math.sqrt(hd);
        double nd = (double) b * n * d;
        double attnFlops = 4.0 * b * n * n * d;

        Tensor ma = torch.randn(2048, 2048);
        Tensor mb = torch.randn(2048, 2048);
        Map<String, Op> ops = new LinkedHashMap<>();
        ops.put("sgemm 2048³ (reference)", new Op(0, Flops.matmul(2048, 2048, 2048), () -> ma.matmul(mb)));
        ops.put("layer_norm ×2", new Op(2, 0, () -> T.layerNorm(x, lnW, lnB, 1e-6)));
        ops.put("linear qkv", new Op(1, 2 * nd * 3 * d, () -> T.linear(x, wQkv, bQkv)));
        ops.put("sdpa, serial-BLAS section (model)", new Op(1, attnFlops, () -> Attention.sdpa(q, k, v, null)));
        ops.put(
                "  alt: sdpa, OpenBLAS multi-threaded",
                new Op(0, attnFlops, () -> withoutSerialBlas(() -> Attention.sdpa(q, k, v, null))));
        ops.put(
                "  alt: q·kᵀ, softmax, ·v explicit",
                new Op(
                        0,
                        attnFlops,
                        () -> T.softmax(q.matmul(k.transpose(-2, -1)).mul(T.s(scale)), -1)
                                .matmul(v)));
        ops.put("heads → (B,N,D) copy", new Op(1, 0, () -> o.transpose(1, 2).reshape(b, n, d)));
        ops.put("linear proj", new Op(1, 2 * nd * d, () -> T.linear(x, wProj, bProj)));
        ops.put("linear fc1", new Op(1, 2 * nd * f, () -> T.linear(x, w1, b1)));
        ops.put("gelu", new Op(1, 0, () -> T.gelu(hidden)));
        ops.put("linear fc2", new Op(1, 2 * nd * f, () -> T.linear(hidden, w2, b2)));
        ops.put("residual add ×2", new Op(2, 0, () -> x.add(x)));

        System.err.printf(
                "%n[profile] batch %d; per call: wall ms, process CPU ms ÷ %d cores, GFLOP/s by wall time%n",
                batch, CORES);
        System.err.printf("%-38s %9s %9s %8s%n", "op (one block)", "wall ms", "cpu ms/" + CORES, "GFLOP/s");
        double blockMs = 0;
        try (NoGradGuard g = new NoGradGuard()) {
            for (var e : ops.entrySet()) {
                Op op = e.getValue();
                double[] t = op.time();
                blockMs += op.perBlock * t[0];
                System.err.printf(
                        "%-38s %9.2f %9.2f %8s%n",
                        e.getKey(), t[0], t[1], op.flops > 0 ? String.format("%.0f", op.flops / t[0] / 1e6) : "-");
            }
        }
        System.err.printf(
                "one block (model ops, wall): %.1f ms → ×%d blocks = %.0f ms per forward%n",
                blockMs, c.numLayers(), blockMs * c.numLayers());
    }

    private static Tensor withoutSerialBlas(Supplier<Tensor> body) {
        System.setProperty(BlasThreads.SERIAL_PROPERTY, "false");
        try {
            return body.get();
        } finally {
            System.setProperty(BlasThreads.SERIAL_PROPERTY, "true");
        }
    }

    /** One timed operation: how often it runs per block and its FLOPs (0 for memory-bound ops). */
    private record Op(int perBlock, double flops, Supplier<Tensor> body) {

        /** Mean wall ms and mean process-CPU ms ÷ cores per call, over at least 0.5 s after two warm-up calls. */
        double[] time() {
            for (int i = 0; i < 2; i++) {
                call();
            }
            int calls = 0;
            long c0 = CpuClock.nanos();
            long t0 = System.nanoTime();
            while (calls < 3 || System.nanoTime() - t0 < 500_000_000L) {
                call();
                calls++;
            }
            double wall = (System.nanoTime() - t0) / 1e6 / calls;
            double cpu = (CpuClock.nanos() - c0) / 1e6 / calls / CORES;
            return new double[] {wall, cpu};
        }

        private void call() {
            try (PointerScope s = new PointerScope()) {
                body.get();
            }
        }
    }
}

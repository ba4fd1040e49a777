package org.blip4j.bench;

import org.blip4j.engine.BlasThreads;
import org.blip4j.engine.Engine;
import org.blip4j.engine.OneDnnLinear;
import org.blip4j.engine.SkinnyLinear;
import org.blip4j.engine.T;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * ViT- and BERT-sized linear layers: threaded OpenBLAS, serial OpenBLAS and oneDNN's dense inner product
 * ({@link OneDnnLinear}) with a plain and with a packed weight, taking turns; then 3 rows against cold weights (a
 * decode step's streaming), {@link SkinnyLinear} against oneDNN (a profiling aid: {@code GemmProbe [rounds]}).
 */
public final class GemmProbe {
    private GemmProbe() {}

    public static void main(String[] args) {
        Engine.load();
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        System.out.println("load " + Ceiling.load() + ", OPENBLAS_CORETYPE=" + System.getenv("OPENBLAS_CORETYPE"));
        try (NoGradGuard g = new NoGradGuard()) {
            for (long rows : new long[] {577, 8 * 577, 256 * 35}) {
                for (long[] s : new long[][] {{2304, 768}, {768, 768}, {3072, 768}, {768, 3072}}) {
                    Tensor w = torch.randn(s[0], s[1]);
                    Tensor b = torch.randn(s[0]);
                    Tensor x = torch.randn(rows, s[1]);
                    double f = 2.0 * rows * s[0] * s[1] / 1e6;
                    Tensor wp = torch.randn(s[0], s[1]); // registered: a copy in oneDNN's layout
                    OneDnnLinear.register(java.util.List.of(wp));
                    double[] t = new double[4];
                    for (int r = 0; r < rounds; r++) {
                        t[0] += f / PerfProbe.ms(() -> torch.linear(x, w, T.opt(b)), 3);
                        t[1] += f / PerfProbe.ms(() -> BlasThreads.serial(() -> torch.linear(x, w, T.opt(b))), 3);
                        t[2] += f / PerfProbe.ms(() -> OneDnnLinear.forward(x, w, b), 3);
                        t[3] += f / PerfProbe.ms(() -> OneDnnLinear.forward(x, wp, b), 3);
                    }
                    OneDnnLinear.unregister(java.util.List.of(wp));
                    System.out.printf(
                            "linear %4d×%4d→%4d GFLOP/s: openblas %.0f | openblas serial %.0f | onednn %.0f | "
                                    + "onednn, packed weight %.0f%n",
                            rows, s[1], s[0], t[0] / rounds, t[1] / rounds, t[2] / rounds, t[3] / rounds);
                }
            }
            for (long[] s : new long[][] {{3072, 768}, {768, 3072}, {768, 768}}) {
                int n = (int) (400_000_000L / (s[0] * s[1] * 4)); // 400 MB of weights: cold on every pass
                Tensor[] ws = new Tensor[n];
                for (int i = 0; i < n; i++) {
                    ws[i] = torch.randn(s[0], s[1]);
                }
                Tensor x = torch.randn(3, s[1]);
                for (int r = 0; r < rounds; r++) {
                    for (boolean dnn : new boolean[] {false, true}) {
                        long t0 = System.nanoTime();
                        try (PointerScope ps = new PointerScope()) {
                            for (Tensor w : ws) {
                                if (dnn) {
                                    OneDnnLinear.forward(x, w, null);
                                } else {
                                    SkinnyLinear.forward(x, w, null);
                                }
                            }
                        }
                        double ms = (System.nanoTime() - t0) / 1e6;
                        System.out.printf(
                                "3 rows × %d cold %d×%d weights, %s: %.1f ms = %.1f GB/s%n",
                                n,
                                s[0],
                                s[1],
                                dnn ? "onednn" : "skinny (" + SkinnyLinear.kernel() + ")",
                                ms,
                                n * s[0] * s[1] * 4 / ms / 1e6);
                    }
                }
            }
            System.out.printf("matmul 2048³ %.0f GFLOP/s%n", Ceiling.libtorchMatmul(3));
        }
        System.out.println("load " + Ceiling.load());
    }
}

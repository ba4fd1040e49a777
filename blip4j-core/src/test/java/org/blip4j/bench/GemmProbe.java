package org.blip4j.bench;

import org.blip4j.engine.BlasThreads;
import org.blip4j.engine.Engine;
import org.blip4j.engine.T;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** ViT-sized linear layers: threaded OpenBLAS, serial OpenBLAS and oneDNN, taking turns (a profiling aid). */
public final class GemmProbe {
    private GemmProbe() {}

    public static void main(String[] args) {
        Engine.load();
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        System.out.println("load " + Ceiling.load());
        try (NoGradGuard g = new NoGradGuard()) {
            for (long rows : new long[] {577, 8 * 577}) {
                for (long[] s : new long[][] {{2304, 768}, {3072, 768}, {768, 3072}}) {
                    Tensor w = torch.randn(s[0], s[1]);
                    Tensor b = torch.randn(s[0]);
                    Tensor x = torch.randn(rows, s[1]);
                    Tensor wm = w.to_mkldnn();
                    double f = 2.0 * rows * s[0] * s[1] / 1e6;
                    double[] t = new double[6];
                    for (int r = 0; r < rounds; r++) {
                        t[0] += f / PerfProbe.ms(() -> torch.linear(x, w, T.opt(b)), 3);
                        t[1] += f / PerfProbe.ms(() -> BlasThreads.serial(() -> torch.linear(x, w, T.opt(b))), 3);
                        t[2] += f
                                / PerfProbe.ms(
                                        () -> torch.mkldnn_linear(x.to_mkldnn(), wm, T.opt(b))
                                                .to_dense(),
                                        3);
                        t[3] += f / PerfProbe.ms(() -> torch.matmul(x, w.t()), 3);
                        t[4] += f / PerfProbe.ms(() -> torch.matmul(x, w.t()).add_(b), 3);
                        t[5] += f / PerfProbe.ms(() -> torch.addmm(b, x, w.t()), 3);
                    }
                    System.out.printf(
                            "linear %4d×%4d→%4d GFLOP/s: openblas %.0f | openblas serial %.0f | onednn %.0f | "
                                    + "matmul %.0f | matmul + add_ %.0f | addmm %.0f%n",
                            rows,
                            s[1],
                            s[0],
                            t[0] / rounds,
                            t[1] / rounds,
                            t[2] / rounds,
                            t[3] / rounds,
                            t[4] / rounds,
                            t[5] / rounds);
                }
            }
            System.out.printf("matmul 2048³ %.0f GFLOP/s%n", Ceiling.libtorchMatmul(3));
        }
        System.out.println("load " + Ceiling.load());
    }
}

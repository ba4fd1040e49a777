package org.blip4j.bench;

import org.blip4j.engine.BlasThreads;
import org.blip4j.engine.Engine;
import org.blip4j.engine.SkinnyLinear;
import org.blip4j.engine.T;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Few-row float32 linear variants side by side, taking turns (a profiling aid). */
public final class SkinnyProbe {
    private SkinnyProbe() {}

    public static void main(String[] args) {
        Engine.load();
        System.out.println("load " + Ceiling.load());
        try (NoGradGuard g = new NoGradGuard()) {
            for (long[] s : new long[][] {{768, 768}, {3072, 768}, {768, 3072}, {30524, 768}}) {
                Tensor w = torch.randn(s[0], s[1]).mul(T.s(0.02));
                Tensor b = torch.randn(s[0]).mul(T.s(0.02));
                Tensor x = torch.randn(3, s[1]);
                Tensor wm = w.to_mkldnn();
                double[] t = new double[6];
                for (int round = 0; round < 2; round++) {
                    t[0] += PerfProbe.ms(() -> SkinnyLinear.forward(x, w, b), 15);
                    t[1] += PerfProbe.ms(() -> BlasThreads.serial(() -> SkinnyLinear.forward(x, w, b)), 15);
                    t[2] += PerfProbe.ms(() -> BlasThreads.serial(() -> torch.linear(x, w, T.opt(b))), 15);
                    t[3] += PerfProbe.ms(
                            () -> torch.mkldnn_linear(x.to_mkldnn(), wm, T.opt(b))
                                    .to_dense(),
                            15);
                    t[4] += PerfProbe.ms(() -> torch.linear(x, w, T.opt(b)), 15);
                    System.setProperty("blip4j.skinny.threads", "1");
                    t[5] += PerfProbe.ms(() -> SkinnyLinear.forward(x, w, b), 15);
                    System.clearProperty("blip4j.skinny.threads");
                }
                System.out.printf(
                        "3 rows %5dx%4d (%.1f MB): skinny (Java threads) %.3f | skinny serial %.3f | "
                                + "linear serial %.3f | "
                                + "onednn %.3f | linear %.3f | skinny 1 Java thread %.3f ms%n",
                        s[0], s[1], s[0] * s[1] * 4 / 1e6, t[0] / 2, t[1] / 2, t[2] / 2, t[3] / 2, t[4] / 2, t[5] / 2);
            }
        }
        System.out.println("load " + Ceiling.load());
    }
}

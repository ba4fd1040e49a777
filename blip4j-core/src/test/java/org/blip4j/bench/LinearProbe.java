package org.blip4j.bench;

import org.blip4j.engine.Engine;
import org.blip4j.engine.T;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/** Skinny-linear kernels compared (a profiling aid). */
public final class LinearProbe {
    public static void main(String[] args) {
        int threads = Integer.parseInt(args[0]);
        Engine.load();
        Engine.setThreads(threads);
        System.out.println("mkldnn " + torch.hasMKLDNN() + " threads " + threads);
        long[][] shapes = {{768, 768}, {3072, 768}, {768, 3072}, {30524, 768}};
        try (NoGradGuard g = new NoGradGuard()) {
            for (int rows : new int[] {1, 3, 24}) {
                for (long[] s : shapes) {
                    Tensor w = torch.randn(s[0], s[1]);
                    Tensor b = torch.randn(s[0]);
                    Tensor x = torch.randn(rows, s[1]);
                    Tensor ref = T.linear(x, w, b);
                    double base = DecodeProfile.time(() -> T.linear(x, w, b), 20);
                    double mv = DecodeProfile.time(
                            () -> {
                                TensorVector v = new TensorVector();
                                for (int r = 0; r < rows; r++) {
                                    v.push_back(torch.addmv(b, w, x.select(0, r)));
                                }
                                return torch.stack(v);
                            },
                            20);
                    String mk = "n/a";
                    try {
                        Tensor wm = w.to_mkldnn();
                        Tensor y =
                                torch.mkldnn_linear(x.to_mkldnn(), wm, T.opt(b)).to_dense();
                        double d = y.sub(ref).abs().max().item_float();
                        double t = DecodeProfile.time(
                                () -> torch.mkldnn_linear(x.to_mkldnn(), wm, T.opt(b))
                                        .to_dense(),
                                20);
                        mk = String.format("%.3f ms (diff %.1e)", t, d);
                    } catch (RuntimeException e) {
                        mk = "fails: " + e.getMessage().lines().findFirst().orElse("");
                    }
                    String fb = "n/a";
                    try {
                        Tensor p = torch.fbgemm_pack_gemm_matrix_fp16(w);
                        double t = DecodeProfile.time(() -> torch.fbgemm_linear_fp16_weight(x, p, b), 20);
                        fb = String.format("%.3f ms", t);
                    } catch (RuntimeException e) {
                        fb = "fails: " + e.getMessage().lines().findFirst().orElse("");
                    }
                    StringBuilder sk = new StringBuilder();
                    if (rows <= 4) {
                        for (long kb : new long[] {16, 32, 64, 128, 256, 1 << 20}) { // weight rows per block
                            double t = DecodeProfile.time(
                                    () -> org.blip4j.engine.SkinnyLinear.forward(
                                            x, w, b, org.blip4j.engine.SkinnyLinear.Kernel.BMM, kb),
                                    20);
                            double d = org.blip4j.engine.SkinnyLinear.forward(
                                            x, w, b, org.blip4j.engine.SkinnyLinear.Kernel.BMM, kb)
                                    .sub(ref)
                                    .abs()
                                    .max()
                                    .item_float();
                            sk.append(String.format(" %d:%.3f(%.0e)", kb, t, d));
                        }
                    }
                    System.out.println("  skinny" + sk);
                    System.out.printf(
                            "rows %2d W %5dx%4d: linear %.3f ms (%.1f GB/s) | addmv rows %.3f ms | mkldnn %s | "
                                    + "fbgemm-fp16 %s%n",
                            rows, s[0], s[1], base, s[0] * s[1] * 4 / 1e6 / base, mv, mk, fb);
                }
            }
        }
    }
}

package org.blip4j.bench;

import org.blip4j.engine.Engine;
import org.blip4j.engine.SkinnyLinear;
import org.blip4j.engine.T;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.T_TensorTensorDoubleLong_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Engine levers side by side (threads, oneDNN linear, FBGEMM int8 / fp16 for few rows): a profiling aid. */
public final class PerfProbe {
    private PerfProbe() {}

    interface Op {
        Tensor run();
    }

    static double ms(Op op, int reps) {
        double[] t = new double[reps];
        try (PointerScope s = new PointerScope()) {
            op.run();
        }
        for (int i = 0; i < reps; i++) {
            try (PointerScope s = new PointerScope()) {
                long t0 = System.nanoTime();
                op.run();
                t[i] = (System.nanoTime() - t0) / 1e6;
            }
        }
        java.util.Arrays.sort(t);
        return t[reps / 2];
    }

    public static void main(String[] args) {
        Engine.load();
        System.out.println("after Engine.load: torch threads " + torch.get_num_threads());
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor a = torch.randn(2048, 2048);
            Tensor b = torch.randn(2048, 2048);
            for (int th : new int[] {1, 2, 1, 2}) {
                Engine.setThreads(th);
                double t = ms(() -> torch.matmul(a, b), 3);
                System.out.printf("matmul 2048^3 threads %d: %.0f GFLOP/s%n", th, 2 * Math.pow(2048, 3) / t / 1e6);
            }
            Engine.setThreads(2);
            for (long rows : new long[] {577, 8 * 577}) {
                for (long[] s : new long[][] {{3072, 768}, {768, 3072}, {2304, 768}}) {
                    Tensor w = torch.randn(s[0], s[1]);
                    Tensor bias = torch.randn(s[0]);
                    Tensor x = torch.randn(rows, s[1]);
                    Tensor wm = w.to_mkldnn();
                    double f = 2.0 * rows * s[0] * s[1] / 1e6;
                    double t1 = ms(() -> torch.linear(x, w, T.opt(bias)), 5);
                    double t2 = ms(
                            () -> torch.mkldnn_linear(x.to_mkldnn(), wm, T.opt(bias))
                                    .to_dense(),
                            5);
                    double d = torch.mkldnn_linear(x.to_mkldnn(), wm, T.opt(bias))
                            .to_dense()
                            .sub(torch.linear(x, w, T.opt(bias)))
                            .abs()
                            .max()
                            .item_float();
                    System.out.printf(
                            "linear %dx%d->%d: openblas %.0f GFLOP/s, onednn %.0f GFLOP/s (max diff %.1e)%n",
                            rows, s[1], s[0], f / t1, f / t2, d);
                }
            }
            for (long[] s : new long[][] {{768, 768}, {3072, 768}, {768, 3072}, {30524, 768}}) {
                Tensor w = torch.randn(s[0], s[1]).mul(T.s(0.02));
                Tensor bias = torch.randn(s[0]).mul(T.s(0.02));
                Tensor x = torch.randn(3, s[1]);
                T_TensorTensorDoubleLong_T q = torch.fbgemm_linear_quantize_weight(w);
                Tensor qw = q.get0();
                Tensor colOff = q.get1();
                double scale = q.get2();
                long zp = q.get3();
                Tensor packed = torch.fbgemm_pack_quantized_matrix(qw);
                Tensor p16 = torch.fbgemm_pack_gemm_matrix_fp16(w);
                Tensor ref = torch.linear(x, w, T.opt(bias));
                Op int8 = () -> torch.fbgemm_linear_int8_weight_fp32_activation(
                        x, qw, packed, colOff, T.s(scale), T.s(zp), bias);
                double tS = ms(() -> SkinnyLinear.forward(x, w, bias), 20);
                double tL = ms(() -> torch.linear(x, w, T.opt(bias)), 20);
                double tI = ms(int8, 20);
                double tH = ms(() -> torch.fbgemm_linear_fp16_weight(x, p16, bias), 20);
                double dI = int8.run().sub(ref).abs().max().item_float()
                        / ref.abs().max().item_float();
                System.out.printf(
                        "3 rows %dx%d: linear %.3f skinny %.3f int8 %.3f (rel err %.1e) fp16 %.3f ms%n",
                        s[0], s[1], tL, tS, tI, dI, tH);
            }
        }
    }
}

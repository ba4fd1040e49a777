package org.blip4j.bench;

import org.blip4j.engine.BlasThreads;
import org.blip4j.engine.Engine;
import org.blip4j.engine.T;
import org.blip4j.nn.Attention;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Ways to compute ViT-B/16@384 self-attention (12 heads × 577 tokens × 64), median ms and GFLOP/s, next to a 2048³
 * matmul: libtorch's fused kernel (what blip4j runs), written out with threaded BLAS, and head by head. Usage:
 * {@code AttentionProbe [reps]}; run with {@code ATEN_CPU_CAPABILITY=avx512} (or avx2) to compare kernels.
 */
public final class AttentionProbe {
    private AttentionProbe() {}

    public static void main(String[] args) {
        Engine.load();
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        System.out.println("torch threads " + torch.get_num_threads() + ", BLAS threads " + BlasThreads.threads());
        try (NoGradGuard g = new NoGradGuard()) {
            double mm = PerfProbe.ms(() -> torch.matmul(torch.randn(2048, 2048), torch.randn(2048, 2048)), reps);
            System.out.printf("matmul 2048³: %.1f ms, %.0f GFLOP/s%n", mm, 2 * Math.pow(2048, 3) / mm / 1e6);
            long n = 577;
            for (int b : new int[] {1, 8}) {
                Tensor qkv = torch.randn(b, n, 3, 12, 64).permute(2, 0, 3, 1, 4); // (3, B, H, N, hd), as the ViT
                Tensor q = qkv.select(0, 0);
                Tensor k = qkv.select(0, 1);
                Tensor v = qkv.select(0, 2);
                double flops = 4.0 * b * 12 * n * n * 64;
                report(b, "fused (blip4j)", flops, PerfProbe.ms(() -> Attention.sdpa(q, k, v, null), reps));
                report(
                        b,
                        "fused, q k v made contiguous",
                        flops,
                        PerfProbe.ms(() -> Attention.sdpa(q.contiguous(), k.contiguous(), v.contiguous(), null), reps));
                report(
                        b,
                        "fused, qkv permuted contiguous",
                        flops,
                        PerfProbe.ms(
                                () -> {
                                    Tensor all = qkv.contiguous(); // (3, B, H, N, hd) in one copy
                                    return Attention.sdpa(all.select(0, 0), all.select(0, 1), all.select(0, 2), null);
                                },
                                reps));
                Tensor qc = q.contiguous();
                Tensor kc = k.contiguous();
                Tensor vc = v.contiguous();
                report(b, "fused, contiguous q k v", flops, PerfProbe.ms(() -> Attention.sdpa(qc, kc, vc, null), reps));
                report(
                        b,
                        "written out, threaded BLAS",
                        flops,
                        PerfProbe.ms(
                                () -> torch.matmul(
                                        torch.matmul(q, k.transpose(-2, -1))
                                                .mul_(T.s(0.125))
                                                .softmax(-1),
                                        v),
                                reps));
                report(
                        b,
                        "head by head, threaded BLAS",
                        flops,
                        PerfProbe.ms(
                                () -> {
                                    TensorVector out = new TensorVector();
                                    for (int i = 0; i < b; i++) {
                                        for (int h = 0; h < 12; h++) {
                                            Tensor qh = qc.select(0, i).select(0, h); // (N, hd)
                                            Tensor s = torch.mm(
                                                            qh,
                                                            kc.select(0, i)
                                                                    .select(0, h)
                                                                    .t())
                                                    .mul_(T.s(0.125))
                                                    .softmax(-1);
                                            out.push_back(
                                                    torch.mm(s, vc.select(0, i).select(0, h)));
                                        }
                                    }
                                    return torch.stack(out);
                                },
                                reps));
            }
        }
    }

    static void report(int b, String name, double flops, double ms) {
        System.out.printf("batch %d  %-30s %8.2f ms  %5.0f GFLOP/s%n", b, name, ms, flops / ms / 1e6);
    }
}

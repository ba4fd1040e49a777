package org.blip4j.bench;

import org.blip4j.engine.Engine;
import org.blip4j.engine.Int8Linear;
import org.blip4j.engine.T;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Few-row linear products as a decoding step makes them (3, 6 and 24 rows over BERT-base's 768→768, 768→3072 and
 * 3072→768 weights): float32 through {@link T#linear} (the matrix–vector path), bf16 through {@code torch.linear}
 * (oneDNN), bf16 with the activation casts, and FBGEMM int8. Twenty distinct weights per shape, so they come from
 * memory as in a real step; best of five rounds. Usage: {@code java … org.blip4j.bench.FewRowProbe [threads]}
 * (docs/performance.md, "Round eight").
 */
public final class FewRowProbe {
    private FewRowProbe() {}

    public static void main(String[] args) {
        Engine.load();
        torch.set_num_threads(args.length > 0 ? Integer.parseInt(args[0]) : 1);
        int[][] shapes = {{768, 768}, {3072, 768}, {768, 3072}}; // (out, in)
        try (NoGradGuard g = new NoGradGuard()) {
            for (int rows : new int[] {3, 6, 24}) {
                for (int[] sh : shapes) {
                    try (PointerScope s = new PointerScope()) {
                        probe(rows, sh[0], sh[1]);
                    }
                }
            }
        }
    }

    private static void probe(int rows, int out, int in) {
        int n = 20;
        Tensor[] wf = new Tensor[n];
        Tensor[] wb = new Tensor[n];
        Int8Linear[] wq = new Int8Linear[n];
        for (int i = 0; i < n; i++) {
            wf[i] = torch.randn(out, in); // (out, in) float32
            wb[i] = wf[i].to(ScalarType.BFloat16).contiguous(); // (out, in) bf16
            wq[i] = Int8Linear.quantize(wf[i]);
        }
        Tensor x = torch.randn(rows, in); // (rows, in)
        Tensor xb = x.to(ScalarType.BFloat16);
        double f32 = 1e9;
        double bf = 1e9;
        double bfCast = 1e9;
        double int8 = 1e9;
        for (int rep = 0; rep < 5; rep++) {
            try (PointerScope s = new PointerScope()) {
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    T.linear(x, wf[i], null);
                }
                long t1 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    torch.linear(xb, wb[i], T.opt(null));
                }
                long t2 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    torch.linear(x.to(ScalarType.BFloat16), wb[i], T.opt(null)).to(ScalarType.Float);
                }
                long t3 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    wq[i].forward(x, null);
                }
                long t4 = System.nanoTime();
                f32 = Math.min(f32, (t1 - t0) / (n * 1e6));
                bf = Math.min(bf, (t2 - t1) / (n * 1e6));
                bfCast = Math.min(bfCast, (t3 - t2) / (n * 1e6));
                int8 = Math.min(int8, (t4 - t3) / (n * 1e6));
            }
        }
        double mb = out * (double) in * 4 / 1e6; // float32 weight MB
        System.out.printf(
                "rows %2d %4dx%-4d float32 %.3f ms (%.1f GB/s) | bf16 %.3f ms (%.1f GB/s) | bf16 + casts %.3f ms"
                        + " | int8 %.3f ms%n",
                rows, in, out, f32, mb / f32, bf, mb / 2 / bf, bfCast, int8);
    }
}

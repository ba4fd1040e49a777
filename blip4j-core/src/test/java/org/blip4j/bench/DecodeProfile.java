package org.blip4j.bench;

import java.util.ArrayList;
import java.util.List;
import org.blip4j.config.BlipConfig;
import org.blip4j.engine.Engine;
import org.blip4j.engine.T;
import org.blip4j.generate.CrossAttentionDecoder;
import org.blip4j.model.BlipDecoder;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Where one cached beam-3 decode step of the BERT-base decoder spends its time (a profiling aid, not a test). */
public final class DecodeProfile {
    interface Op {
        Tensor run();
    }

    static double time(Op op, int reps) {
        List<Double> v = new ArrayList<>();
        for (int i = 0; i < reps + 2; i++) {
            try (PointerScope s = new PointerScope()) {
                long t0 = System.nanoTime();
                op.run();
                double ms = (System.nanoTime() - t0) / 1e6;
                if (i >= 2) {
                    v.add(ms);
                }
            }
        }
        return TaskBenchmark.median(v);
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Engine.load();
        Engine.setThreads(threads);
        BlipConfig c = BlipConfig.base(384);
        BlipDecoder dec = TaskBenchmark.random(new BlipDecoder(c), 1);
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor big = torch.randn(100_000_000L);
            double sumMs = time(() -> big.sum(), 5);
            System.out.printf(
                    "threads %d rows %d%nread bandwidth (sum of 400 MB): %.1f GB/s%n",
                    threads, rows, 0.4 / (sumMs / 1000));
            Tensor img = torch.randn(1, 577, 768);
            long[][] prompt = new long[rows][];
            for (int r = 0; r < rows; r++) {
                prompt[r] = new long[] {30522, 1037, 3861, 1997};
            }
            try (CrossAttentionDecoder d = new CrossAttentionDecoder(dec.textDecoder(), img)) {
                try (PointerScope s = new PointerScope()) {
                    d.next(T.longs(prompt));
                }
                long[][] tok = new long[rows][1];
                for (int r = 0; r < rows; r++) {
                    tok[r][0] = 2000 + r;
                }
                Tensor t = T.longs(tok);
                double step = time(() -> d.next(t), args.length > 2 ? Integer.parseInt(args[2]) : 15);
                System.out.printf("cached decode step: %.1f ms%n", step);
            }
            if (args.length > 2) {
                return;
            }
            Tensor x = torch.randn(rows, 1, 768);
            Tensor x4 = torch.randn(rows, 1, 3072);
            Tensor w1 = torch.randn(768, 768);
            Tensor w3 = torch.randn(2304, 768);
            Tensor wi = torch.randn(3072, 768);
            Tensor wo = torch.randn(768, 3072);
            Tensor wl = torch.randn(30524, 768);
            Tensor b1 = torch.randn(768);
            Tensor bi = torch.randn(3072);
            Tensor bl = torch.randn(30524);
            double l1 = time(() -> T.linear(x, w1, b1), 50);
            double li = time(() -> T.linear(x, wi, bi), 50);
            double lo = time(() -> T.linear(x4, wo, b1), 50);
            double ll = time(() -> T.linear(x, wl, bl), 20);
            double mv = time(() -> torch.matmul(wl, x.view(rows, 768).t()), 20);
            System.out.printf("linear 768->768: %.3f ms (%.1f GB/s)%n", l1, 768 * 768 * 4 / 1e6 / l1);
            System.out.printf("linear 768->3072: %.3f ms (%.1f GB/s)%n", li, 768 * 3072 * 4 / 1e6 / li);
            System.out.printf("linear 3072->768: %.3f ms (%.1f GB/s)%n", lo, 768 * 3072 * 4 / 1e6 / lo);
            System.out.printf(
                    "LM head 768->30524: %.3f ms (%.1f GB/s); W @ x^T %.3f ms%n", ll, 768 * 30524 * 4 / 1e6 / ll, mv);
            double perLayer = 6 * l1 + li + lo; // q k v o (self), q o (cross) + ffn
            System.out.printf(
                    "linears per layer %.2f ms, x12 = %.1f ms, + LM head + transform = %.1f ms%n",
                    perLayer, 12 * perLayer, 12 * perLayer + ll + l1);
            Tensor q = torch.randn(1, 12, rows, 64);
            Tensor k = torch.randn(1, 12, 577, 64);
            Tensor v = torch.randn(1, 12, 577, 64);
            double att = time(() -> org.blip4j.nn.Attention.sdpa(q, k, v, null), 50);
            System.out.printf("cross sdpa over 577: %.3f ms (x12 = %.1f)%n", att, 12 * att);
            Tensor h = torch.randn(rows, 1, 768);
            double ln = time(() -> torch.layer_norm(h, new long[] {768}), 50);
            double ge = time(() -> T.gelu(x4), 50);
            double add = time(() -> h.add(h), 50);
            System.out.printf("layer_norm %.3f ms, gelu(3072) %.3f ms, add %.3f ms%n", ln, ge, add);
        }
    }
}

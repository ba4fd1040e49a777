package org.blip4j.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.blip4j.config.BlipConfig;
import org.blip4j.engine.Engine;
import org.blip4j.engine.Int8Linear;
import org.blip4j.engine.SkinnyLinear;
import org.blip4j.engine.T;
import org.blip4j.generate.CrossAttentionDecoder;
import org.blip4j.model.BlipDecoder;
import org.blip4j.model.Int8Decoding;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * How fast few-row products stream cold weights (docs/performance.md, round eleven; a profiling aid, not a test).
 * {@code StreamProbe kernels [threads]}: 40 cold 3072×768 weights, 3 rows, through each candidate (sum, addmv per row,
 * sgemm, bmm over row blocks, SkinnyLinear's kernels). {@code StreamProbe model [threads]}: a BERT-base decoder's 97
 * per-step linear layers in model order through {@code T.linear}, then cached beam-3 decode steps ({@code
 * StreamProbe model|model-int8 threads steps}).
 */
public final class StreamProbe {
    private StreamProbe() {}

    interface Product {
        void run(Tensor w, Tensor x, Tensor y, Tensor b);
    }

    public static void main(String[] args) {
        Engine.load();
        Engine.setThreads(args.length > 1 ? Integer.parseInt(args[1]) : 2);
        try (NoGradGuard g = new NoGradGuard()) {
            if (args.length > 0 && args[0].equals("int8")) {
                int8Products();
            } else if (args.length > 0 && args[0].startsWith("model")) {
                model(args.length > 2 ? Integer.parseInt(args[2]) : 8, args[0].equals("model-int8"));
            } else {
                kernels();
            }
        }
    }

    static void kernels() {
        int n = 40;
        List<Tensor> ws = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ws.add(torch.randn(3072, 768)); // (out, in)
        }
        double bytes = n * 3072 * 768 * 4.0;
        Tensor x = torch.randn(3, 768); // (R, in)
        Tensor x3 = x.view(3, 1, 768);
        Tensor y = torch.empty(3, 3072); // (R, out)
        Tensor b = torch.randn(3072);
        Map<String, Product> products = new LinkedHashMap<>();
        products.put("sum (read only)", (w, xx, yy, bb) -> w.sum());
        products.put("addmv, 1 row", (w, xx, yy, bb) -> torch.addmv_out(yy.select(0, 0), bb, w, xx.select(0, 0)));
        products.put("addmv per row, 3 rows", (w, xx, yy, bb) -> {
            for (int r = 0; r < 3; r++) {
                torch.addmv_out(yy.select(0, r), bb, w, xx.select(0, r));
            }
        });
        products.put("mm x·Wᵀ (sgemm)", (w, xx, yy, bb) -> torch.mm_out(yy, xx, w.t()));
        for (int rows : new int[] {32, 64, 128, 256}) {
            int blocks = 3072 / rows;
            products.put(
                    "bmm over " + rows + "-row blocks",
                    (w, xx, yy, bb) -> torch.bmm(
                            w.view(blocks, rows, 768), xx.t().unsqueeze(0).expand(blocks, 768, 3)));
        }
        for (SkinnyLinear.Kernel k : SkinnyLinear.Kernel.values()) {
            long block = k == SkinnyLinear.Kernel.BMM ? SkinnyLinear.BLOCK_ROWS : SkinnyLinear.BLOCK_BYTES / (768 * 4);
            products.put("SkinnyLinear " + k, (w, xx, yy, bb) -> SkinnyLinear.forward(x3, w, bb, k, block));
        }
        for (Map.Entry<String, Product> e : products.entrySet()) {
            double best = Double.MAX_VALUE;
            for (int rep = 0; rep < 5; rep++) {
                try (PointerScope s = new PointerScope()) {
                    long t0 = System.nanoTime();
                    for (Tensor w : ws) {
                        e.getValue().run(w, x, y, b);
                    }
                    best = Math.min(best, (System.nanoTime() - t0) / 1e6);
                }
            }
            System.out.printf(
                    "%-30s %6.1f ms %5.1f GB/s   (others' load %.2f)%n",
                    e.getKey(), best, bytes / best / 1e6, org.blip4j.engine.MachineLoad.othersLoad());
        }
    }

    /** 80 int8 3072×768 weights (189 MB) times 3 rows, cold: the int8 product's streaming rate. */
    static void int8Products() {
        int n = 80;
        List<Int8Linear> qs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            qs.add(Int8Linear.quantize(torch.randn(3072, 768)));
        }
        Tensor x = torch.randn(3, 1, 768);
        Tensor b = torch.randn(3072);
        double bytes = n * 3072 * 768.0;
        for (int rep = 0; rep < 8; rep++) {
            try (PointerScope s = new PointerScope()) {
                long t0 = System.nanoTime();
                for (Int8Linear q : qs) {
                    q.forward(x, b);
                }
                double ms = (System.nanoTime() - t0) / 1e6;
                System.out.printf("int8 products: %.1f ms (%.1f GB/s)%n", ms, bytes / ms / 1e6);
            }
        }
        for (int out : new int[] {64, 768, 3072}) { // the fixed cost of one call against the weight's size
            Int8Linear q = Int8Linear.quantize(torch.randn(out, 768));
            Tensor bo = torch.randn(out);
            for (int rep = 0; rep < 3; rep++) {
                try (PointerScope s = new PointerScope()) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < 200; i++) {
                        q.forward(x, bo);
                    }
                    System.out.printf("int8 %d×768, hot: %.3f ms a call%n", out, (System.nanoTime() - t0) / 200e6);
                }
            }
        }
        Tensor w16 = torch.randn(3072, 768);
        Tensor packed = torch.fbgemm_pack_gemm_matrix_fp16(w16);
        for (int rep = 0; rep < 3; rep++) {
            try (PointerScope s = new PointerScope()) {
                long t0 = System.nanoTime();
                for (int i = 0; i < 200; i++) {
                    torch.fbgemm_linear_fp16_weight_fp32_activation(x, packed, T.opt(b));
                }
                System.out.printf("fp16 3072×768, hot: %.3f ms a call%n", (System.nanoTime() - t0) / 200e6);
            }
        }
    }

    static void model(int steps, boolean int8) {
        BlipDecoder dec = new BlipDecoder(BlipConfig.base(384));
        for (Tensor t : dec.namedParameters().values()) {
            t.normal_(0.0, 0.02, new GeneratorOptional());
        }
        List<Tensor> ws = new ArrayList<>();
        List<Tensor> bs = new ArrayList<>();
        Map<String, Tensor> p = dec.textDecoder().namedParameters();
        long bytes = 0;
        for (Map.Entry<String, Tensor> e : p.entrySet()) {
            String k = e.getKey();
            boolean crossKv = k.contains("crossattention.self.key") || k.contains("crossattention.self.value");
            if (k.endsWith(".weight") && e.getValue().dim() == 2 && !k.contains("embeddings") && !crossKv) {
                ws.add(e.getValue());
                bs.add(p.get(k.substring(0, k.length() - ".weight".length()) + ".bias"));
                bytes += e.getValue().numel() * 4;
            }
        }
        BlipConfig c = BlipConfig.base(384);
        int width = c.text().hiddenSize();
        Tensor x = torch.randn(3, 1, width);
        Tensor x4 = torch.randn(3, 1, c.text().intermediateSize());
        System.out.printf(
                "SkinnyLinear kernel %s; %d linear layers, %.0f MB%n", SkinnyLinear.kernel(), ws.size(), bytes / 1e6);
        for (int rep = 0; rep < 8; rep++) {
            try (PointerScope s = new PointerScope()) {
                long t0 = System.nanoTime();
                for (int i = 0; i < ws.size(); i++) {
                    Tensor w = ws.get(i);
                    T.linear(w.size(1) == width ? x : x4, w, bs.get(i));
                }
                double ms = (System.nanoTime() - t0) / 1e6;
                System.out.printf("linear layers in model order: %.1f ms (%.1f GB/s)%n", ms, bytes / ms / 1e6);
            }
        }
        Tensor img = torch.randn(1, 577, c.vision().hiddenSize());
        long[] prompt = {30522, 1037, 3861, 1997};
        try (Int8Decoding q = int8 ? Int8Decoding.enable(dec.textDecoder()) : null;
                CrossAttentionDecoder d = new CrossAttentionDecoder(dec.textDecoder(), img)) {
            Int8Decoding.generate(q, () -> {
                try (PointerScope s = new PointerScope()) {
                    d.next(T.longs(new long[][] {prompt, prompt, prompt}));
                }
                Tensor t = T.longs(new long[][] {{2000}, {2001}, {2002}});
                for (int rep = 0; rep < steps; rep++) {
                    try (PointerScope s = new PointerScope()) {
                        long t0 = System.nanoTime();
                        d.next(t);
                        System.out.printf(
                                "cached beam-3 step%s: %.1f ms%n",
                                int8 ? " (int8)" : "", (System.nanoTime() - t0) / 1e6);
                    }
                }
                return null;
            });
        }
    }
}

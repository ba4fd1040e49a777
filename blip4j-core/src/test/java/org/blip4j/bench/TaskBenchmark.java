package org.blip4j.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.blip4j.config.BlipConfig;
import org.blip4j.config.TextConfig;
import org.blip4j.engine.Bf16Linear;
import org.blip4j.engine.OneDnnLinear;
import org.blip4j.engine.T;
import org.blip4j.generate.CrossAttentionDecoder;
import org.blip4j.generate.GenerationConfig;
import org.blip4j.generate.Generator;
import org.blip4j.model.Bf16Inference;
import org.blip4j.model.BlipDecoder;
import org.blip4j.model.BlipItm;
import org.blip4j.model.BlipPretrain;
import org.blip4j.model.Int8Decoding;
import org.blip4j.model.NegativeSampler;
import org.blip4j.retrieval.EmbeddingIndex;
import org.blip4j.testutil.SystemProperty;
import org.blip4j.train.AdamW;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Task-level benchmarks at real BLIP sizes with random weights (issues "inference" §6 and "training" §9): caption
 * generation against image encoding, batched captioning, ITM of one image against 256 texts, ITC search over 100k
 * indexed embeddings, and training steps. Usage: {@code bin/bench-tasks [--only caption,itm,search,train]}; a plain
 * main in test sources so it never runs as a test.
 */
public final class TaskBenchmark {
    private TaskBenchmark() {}

    /** BLIP's initialisation (normal 0.02, LayerNorm 1/0): zero weights could take fast paths real ones never do. */
    /** n random texts of 35 BERT token ids, each starting with [ENC] (ITM's input; the same draw every time). */
    static long[][] itmTexts(int n) {
        Random rnd = new Random(3);
        long[][] ids = new long[n][35];
        for (int i = 0; i < n; i++) {
            ids[i][0] = 30523;
            for (int j = 1; j < 35; j++) {
                ids[i][j] = 1000 + rnd.nextInt(28000);
            }
        }
        return ids;
    }

    static long[][] ones(int rows, int cols) {
        long[][] a = new long[rows][cols];
        for (long[] row : a) {
            java.util.Arrays.fill(row, 1);
        }
        return a;
    }

    static <B extends org.blip4j.nn.Block> B random(B model, long seed) {
        org.blip4j.train.Init.blip(model, seed, 0.02);
        if (org.blip4j.engine.OneDnnLinear.enabled()) { // as Blip.load: oneDNN-layout copies for large products
            org.blip4j.engine.OneDnnLinear.register(org.blip4j.model.Int8Decoding.linearWeights(model, ""));
        }
        return model;
    }

    static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        s.sort(Double::compare);
        return s.get(s.size() / 2);
    }

    static long peakRssMb() throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmHWM:")) {
                return Long.parseLong(l.replaceAll("\\D+", "")) / 1024;
            }
        }
        return -1;
    }

    static void row(String what, String value) {
        System.out.printf("| %-62s | %s | %s |%n", what, value, Ceiling.load());
        System.out.flush();
    }

    /** Frees a finished benchmark's model now instead of whenever the GC gets to it (RSS must not grow). */
    static void free(org.blip4j.nn.Block model) {
        org.blip4j.engine.OneDnnLinear.unregister(org.blip4j.model.Int8Decoding.linearWeights(model, ""));
        java.util.Set<Tensor> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        seen.addAll(model.namedTensors().values());
        seen.forEach(Tensor::close);
    }

    static void rss(String after) throws Exception {
        System.gc();
        // glibc keeps freed heap pages (and raises its mmap threshold after big frees), so a finished benchmark's
        // memory stayed in RSS; malloc_trim(0) (JavaCPP's Pointer.trimMemory) returns it to the system
        org.bytedeco.javacpp.Pointer.trimMemory();
        row("  RSS after " + after + " (MB; peak so far " + peakRssMb() + ")", Long.toString(rssMb()));
    }

    static long rssMb() throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("\\D+", "")) / 1024;
            }
        }
        return -1;
    }

    /** Forward FLOPs of ViT-B/16 (2 per multiply-accumulate; norms, softmax, GELU left out) per image. */
    static double vitFlops(int imageSize) {
        double n = Math.pow(imageSize / 16, 2) + 1;
        double d = 768;
        double block = 2 * n * d * d * 4 + 2 * 2 * n * n * d + 2 * 2 * n * d * 3072;
        return 12 * block + 2 * (n - 1) * 3 * 256 * d;
    }

    /**
     * Forward FLOPs of the BERT-base MED encoder/decoder over {@code rows} texts of {@code len} tokens with
     * cross-attention to {@code images} sets of {@code src} image tokens (their keys/values computed once per image).
     */
    static double medFlops(int rows, int len, int images, int src, boolean lmHead) {
        double d = 768;
        double t = (double) rows * len;
        double layer = 2 * t * d * d * 4
                + 2 * 2 * rows * (double) len * len * d // self-attention
                + 2 * t * d * d * 2
                + 2 * 2 * (double) images * src * d * d
                + 2 * 2 * t * src * d // cross-attention
                + 2 * 2 * t * d * 3072; // feed-forward
        return 12 * layer + (lmHead ? 2 * t * d * d + 2 * t * d * 30524 : 0);
    }

    /**
     * Weight bytes one cached decode step reads at {@code bytesPerWeight}: per text layer the self-attention's query,
     * key, value and output, the cross-attention's query and output (its keys and values over the image are computed
     * once per request) and the feed-forward pair; then the LM head's transform and its vocabulary projection.
     */
    static double decodeStepWeightBytes(TextConfig t, int bytesPerWeight) {
        double d = t.hiddenSize();
        double perLayer = 6 * d * d + 2 * d * t.intermediateSize();
        return bytesPerWeight * (t.numLayers() * perLayer + d * d + d * t.vocabSize());
    }

    static String rate(double flops, double ms, Ceiling.Rates c, double adjacent) {
        double g = flops / ms / 1e6;
        return String.format(
                "%.0f GFLOP/s = %.2f of the best GEMM (%.0f), %.2f of libtorch matmul beside it (%.0f)",
                g, g / c.best(), c.best(), g / adjacent, adjacent);
    }

    public static void main(String[] args) throws Exception {
        String only =
                args.length > 1 && args[0].equals("--only") ? args[1] : "ceiling,vit,caption,batch,itm,search,train";
        if (only.equals("train-alone")) { // child JVM: the caption training step alone, for its peak RSS
            trainCaption(null);
            return;
        }
        System.out.println("| benchmark (" + Runtime.getRuntime().availableProcessors() + " cores, Java "
                + System.getProperty("java.version") + ", libtorch threads " + torch.get_num_threads() + ", "
                + Ceiling.envSettings() + ") | result | load (1-min) |");
        System.out.println("|---|---|---|");
        Ceiling.Rates c = Ceiling.measure(TaskBenchmark::row);
        if (only.contains("vit")) {
            vit(c);
        }
        if (only.contains("caption") || only.contains("batch") || only.contains("itm")) {
            inference(only, c);
        }
        if (only.contains("search")) {
            search();
        }
        if (only.contains("train")) {
            train(c, only.contains("pretrain"));
        }
        Ceiling.measureAgain(c, TaskBenchmark::row);
    }

    static void vit(Ceiling.Rates c) throws Exception {
        BlipDecoder dec = random(new BlipDecoder(BlipConfig.base(384)), 1);
        try (NoGradGuard g = new NoGradGuard()) {
            // before (threaded OpenBLAS always, OpenBLAS products), OpenBLAS products with the adaptive thread
            // choice, and the default (oneDNN products where OpenBLAS runs below the CPU's width: OneDnnLinear)
            String[][] variants = {
                {"false", "openblas", ", threaded OpenBLAS always, OpenBLAS products (before)"},
                {null, "openblas", ", OpenBLAS products (-Dblip4j.gemm=openblas)"},
                {null, "onednn", ", oneDNN products (-Dblip4j.gemm=onednn)"},
                {null, null, ""}
            };
            for (String[] v : variants) {
                for (int batch : new int[] {1, 8}) {
                    setOrClear(org.blip4j.engine.MachineLoad.PROPERTY, v[0]);
                    setOrClear(org.blip4j.engine.OneDnnLinear.PROPERTY, v[1]);
                    List<Double> t = new ArrayList<>();
                    List<Double> mm = new ArrayList<>();
                    for (int r = 0; r < (batch == 1 ? 3 : 2); r++) {
                        try (PointerScope s = new PointerScope()) {
                            Tensor px = torch.randn(batch, 3, 384, 384);
                            long t0 = System.nanoTime();
                            dec.encodeImage(px);
                            double ms = (System.nanoTime() - t0) / 1e6;
                            if (r > 0) {
                                t.add(ms);
                            }
                        }
                    }
                    // the matmul beside it runs after the encodings: timed right before one, OpenBLAS's workers were
                    // still
                    // spinning (they wait ~0.1 s after a product) and the encoding took up to 2.6× as long
                    mm.add(Ceiling.libtorchMatmul(3));
                    row(
                            "ViT-B/16@384 encode, batch " + batch + v[2] + " (median ms)",
                            String.format(
                                    "%.0f; %s", median(t), rate(vitFlops(384) * batch, median(t), c, median(mm))));
                }
            }
            System.clearProperty(org.blip4j.engine.MachineLoad.PROPERTY);
            System.clearProperty(org.blip4j.engine.OneDnnLinear.PROPERTY);
            row(
                    "  products of many rows through oneDNN by default (OneDnnLinear, -Dblip4j.gemm=auto); weights "
                            + "held in its layout (MB)",
                    org.blip4j.engine.OneDnnLinear.enabled() + "; "
                            + org.blip4j.engine.OneDnnLinear.packedBytes() / 1_000_000);
            // --bf16: the same encodings with bf16 linear layers, float32 and bf16 rounds interleaved
            for (int batch : new int[] {1, 8}) {
                List<Double> f32 = new ArrayList<>();
                List<Double> bf = new ArrayList<>();
                for (int r = 0; r < (batch == 1 ? 4 : 3); r++) {
                    for (boolean half : new boolean[] {false, true}) {
                        try (Bf16Inference h = half ? Bf16Inference.enable(dec) : null;
                                PointerScope s = new PointerScope()) {
                            Tensor px = torch.randn(batch, 3, 384, 384);
                            long t0 = System.nanoTime();
                            dec.encodeImage(px);
                            double ms = (System.nanoTime() - t0) / 1e6;
                            if (r > 0) {
                                (half ? bf : f32).add(ms);
                            }
                        }
                    }
                }
                row(
                        "ViT-B/16@384 encode, batch " + batch + ", bf16 linear layers (--bf16; median ms)",
                        String.format(
                                "%.0f; %.2fx float32's %.0f in the same rounds; %.0f GFLOP/s",
                                median(bf),
                                median(f32) / median(bf),
                                median(f32),
                                vitFlops(384) * batch / median(bf) / 1e6));
            }
        }
        free(dec);
        rss("ViT");
    }

    private static void setOrClear(String property, String value) {
        if (value == null) {
            System.clearProperty(property);
        } else {
            System.setProperty(property, value);
        }
    }

    static void inference(String only, Ceiling.Rates c) throws Exception {
        BlipConfig c384 = BlipConfig.base(384);
        int prefixLen = 4;
        long[] prefix = {30522, 1037, 3861, 1997};
        try (NoGradGuard g = new NoGradGuard()) {
            if (only.contains("caption") || only.contains("batch")) {
                BlipDecoder dec = random(new BlipDecoder(c384), 1);
                Tensor pixels1 = torch.randn(1, 3, 384, 384);
                if (only.contains("caption")) {
                    double enc = 0;
                    double bandwidth = Ceiling.readBandwidth(5);
                    double stepBytes = decodeStepWeightBytes(c384.text(), 4);
                    row(
                            "memory read bandwidth, libtorch sum of 400 MB in this JVM (best of 5, GB/s)",
                            String.format("%.1f", bandwidth));
                    // float32, --int8, --bf16, --int8 --bf16, --bf16 decoding on one intra-op thread (as int8), and
                    // float32 with OpenBLAS's and with oneDNN's products (the default picks one: OneDnnLinear)
                    for (int mode = 0; mode < 7; mode++) {
                        boolean int8 = mode == 1 || mode == 3;
                        boolean bf16 = mode >= 2 && mode <= 4;
                        boolean serial = mode == 4;
                        setOrClear(
                                org.blip4j.engine.OneDnnLinear.PROPERTY,
                                mode == 5 ? "openblas" : mode == 6 ? "onednn" : null);
                        List<Double> encT = new ArrayList<>();
                        List<Double> gen = new ArrayList<>();
                        GenerationConfig beam20 =
                                GenerationConfig.beam(3, prefixLen + 20, prefixLen + 20); // exactly 20 new
                        try (Int8Decoding q = int8 ? Int8Decoding.enable(dec.textDecoder()) : null;
                                Bf16Inference h = bf16 ? Bf16Inference.enable(dec) : null) {
                            for (int r = 0; r < 4; r++) {
                                try (PointerScope s = new PointerScope()) {
                                    long t0 = System.nanoTime();
                                    Tensor img = dec.encodeImage(pixels1);
                                    long t1 = System.nanoTime();
                                    try (CrossAttentionDecoder d = new CrossAttentionDecoder(dec.textDecoder(), img)) {
                                        java.util.function.Supplier<long[][]> run = () ->
                                                Generator.generate(d, new long[][] {prefix}, beam20, 102, 0, null);
                                        long[][] out = serial
                                                ? org.blip4j.engine.IntraOpThreads.serial(run)
                                                : Int8Decoding.generate(q, run); // as Blip runs it
                                        if (out[0].length != prefixLen + 20) {
                                            throw new IllegalStateException(
                                                    "expected 20 new tokens, got " + (out[0].length - prefixLen));
                                        }
                                    }
                                    long t2 = System.nanoTime();
                                    if (r > 0) { // first round warms up
                                        encT.add((t1 - t0) / 1e6);
                                        gen.add((t2 - t1) / 1e6);
                                    }
                                }
                            }
                        }
                        String kind = new String[] {
                                    "float32",
                                    "int8",
                                    "bf16 (--bf16)",
                                    "int8 + bf16 (--int8 --bf16)",
                                    "bf16, one thread",
                                    "float32, OpenBLAS products (-Dblip4j.gemm=openblas)",
                                    "float32, oneDNN products (-Dblip4j.gemm=onednn)"
                                }
                                [mode];
                        if (mode == 0) {
                            enc = median(encT);
                            row("ViT-B/16@384 encode 1 image (median ms)", String.format("%.0f", enc));
                        }
                        double e = median(encT); // this round's encodings: the ratio compares work done side by side
                        row(
                                "beam 3, 20 new tokens after the image embedding, " + kind + " (median ms)",
                                String.format("%.0f = %.0f ms/step", median(gen), median(gen) / 20));
                        if (mode == 0) {
                            double boundMs = stepBytes / 1e9 / bandwidth * 1000;
                            row(
                                    "  float32 decode step against memory bandwidth: weights read a step (MB), "
                                            + "step bound, measured step (share of the bound)",
                                    String.format(
                                            "%.0f MB, %.1f ms, %.1f ms (%.2f); 20 steps at the bound / encoding = %.2f",
                                            stepBytes / 1e6,
                                            boundMs,
                                            median(gen) / 20,
                                            boundMs / (median(gen) / 20),
                                            20 * boundMs / e));
                        }
                        row(
                                "  generation / encoding ratio, " + kind
                                        + (mode == 0 || mode >= 5 ? " (goal ≤ 0.5)" : mode == 1 ? " (goal ≤ 0.25)" : "")
                                        + (bf16 ? ", over bf16 encoding" : ""),
                                String.format("%.2f (encoding %.0f ms in the same rounds)", median(gen) / e, e));
                    }
                }
                System.clearProperty(org.blip4j.engine.OneDnnLinear.PROPERTY);
                if (only.contains("batch")) {
                    Tensor pixels8 = torch.randn(8, 3, 384, 384);
                    GenerationConfig caption = GenerationConfig.beam(3, 30, 10);
                    for (int mode = 0; mode < 4; mode++) { // float32, --int8, --bf16, --int8 --bf16
                        boolean int8 = mode % 2 == 1;
                        try (Int8Decoding q = int8 ? Int8Decoding.enable(dec.textDecoder()) : null;
                                Bf16Inference h = mode >= 2 ? Bf16Inference.enable(dec) : null) {
                            long t0 = System.nanoTime();
                            for (int b = 0; b < 4; b++) {
                                try (PointerScope s = new PointerScope()) {
                                    Tensor img = dec.encodeImage(pixels8);
                                    try (CrossAttentionDecoder d = new CrossAttentionDecoder(dec.textDecoder(), img)) {
                                        long[][] prompts = new long[8][];
                                        Arrays.fill(prompts, prefix);
                                        Int8Decoding.generate( // as Blip runs it
                                                q, () -> Generator.generate(d, prompts, caption, 102, 0, null));
                                    }
                                }
                            }
                            double secs = (System.nanoTime() - t0) / 1e9;
                            row(
                                    "caption 32 images in batches of 8, beam 3, max 30, "
                                            + new String[] {
                                                        "float32",
                                                        "int8 (--int8)",
                                                        "bf16 (--bf16)",
                                                        "int8 + bf16 (--int8 --bf16)"
                                                    }
                                                    [mode]
                                            + " (images/s, goal ≥ 1.0)",
                                    String.format("%.2f (%.1f s)", 32 / secs, secs));
                        }
                    }
                }
                free(dec);
                rss("caption");
            }
            if (only.contains("itm")) {
                BlipItm itm = random(new BlipItm(c384), 2);
                long[][] ids = itmTexts(256);
                long[][] mask = ones(256, 35);
                Tensor pixels1 = torch.randn(1, 3, 384, 384);
                List<Double> t = new ArrayList<>();
                List<Double> text = new ArrayList<>();
                List<Double> mm = new ArrayList<>();
                for (int r = 0; r < 3; r++) {
                    try (PointerScope s = new PointerScope()) {
                        double before = Ceiling.libtorchMatmul(1);
                        long t0 = System.nanoTime();
                        Tensor img = itm.encodeImage(pixels1);
                        long t1 = System.nanoTime();
                        itm.itmLogits(img, T.longs(ids), T.longs(mask));
                        long t2 = System.nanoTime();
                        if (r > 0) {
                            t.add((t2 - t0) / 1e6);
                            text.add((t2 - t1) / 1e6);
                            mm.add((before + Ceiling.libtorchMatmul(1)) / 2);
                        }
                    }
                }
                row(
                        "ITM: 1 image × 256 texts of 35 tokens, incl. image encoding (median ms)",
                        String.format("%.0f", median(t)));
                row(
                        "  of which the text encoder (median ms)",
                        String.format(
                                "%.0f; %s",
                                median(text), rate(medFlops(256, 35, 1, 577, false), median(text), c, median(mm))));
                List<Double> textBlas = new ArrayList<>();
                List<Double> textDnn = new ArrayList<>();
                for (int r = 0; r < 3; r++) { // OpenBLAS products beside oneDNN's, rounds interleaved
                    for (String gemm : new String[] {"openblas", "onednn"}) {
                        setOrClear(org.blip4j.engine.OneDnnLinear.PROPERTY, gemm);
                        try (PointerScope s = new PointerScope()) {
                            Tensor img = itm.encodeImage(pixels1);
                            long t1 = System.nanoTime();
                            itm.itmLogits(img, T.longs(ids), T.longs(mask));
                            double ms = (System.nanoTime() - t1) / 1e6;
                            if (r > 0) {
                                (gemm.equals("onednn") ? textDnn : textBlas).add(ms);
                            }
                        }
                    }
                }
                System.clearProperty(org.blip4j.engine.OneDnnLinear.PROPERTY);
                row(
                        "  text encoder with OpenBLAS / oneDNN products (-Dblip4j.gemm=openblas / onednn; median ms)",
                        String.format(
                                "%.0f / %.0f in the same rounds = %.2fx; the default here: %s",
                                median(textBlas),
                                median(textDnn),
                                median(textBlas) / median(textDnn),
                                org.blip4j.engine.OneDnnLinear.enabled() ? "oneDNN" : "OpenBLAS"));
                List<Double> textBf = new ArrayList<>();
                List<Double> textF = new ArrayList<>();
                for (int r = 0; r < 3; r++) { // --bf16 beside float32, rounds interleaved
                    for (boolean half : new boolean[] {false, true}) {
                        try (Bf16Inference h = half ? Bf16Inference.enable(itm) : null;
                                PointerScope s = new PointerScope()) {
                            Tensor img = itm.encodeImage(pixels1);
                            long t1 = System.nanoTime();
                            itm.itmLogits(img, T.longs(ids), T.longs(mask));
                            double ms = (System.nanoTime() - t1) / 1e6;
                            if (r > 0) {
                                (half ? textBf : textF).add(ms);
                            }
                        }
                    }
                }
                row(
                        "  text encoder with bf16 linear layers (--bf16; median ms)",
                        String.format(
                                "%.0f; %.2fx float32's %.0f in the same rounds",
                                median(textBf), median(textF) / median(textBf), median(textF)));
                free(itm);
                rss("ITM");
            }
        }
    }

    static void search() throws Exception {
        Path dir = Files.createTempDirectory("blip4j-search-bench");
        try {
            int n = 100_000;
            int dim = 256;
            Random rnd = new Random(4);
            EmbeddingIndex idx = EmbeddingIndex.create(dir.resolve("idx"), dim).durable(false);
            int chunk = 5000;
            for (int start = 0; start < n; start += chunk) {
                List<String> ids = new ArrayList<>();
                List<float[]> vecs = new ArrayList<>();
                for (int i = 0; i < chunk; i++) {
                    ids.add("img" + (start + i));
                    float[] v = new float[dim];
                    for (int j = 0; j < dim; j++) {
                        v[j] = (float) rnd.nextGaussian();
                    }
                    vecs.add(v);
                }
                idx.append(ids, vecs);
            }
            List<Double> t = new ArrayList<>();
            for (int q = 0; q < 60; q++) {
                float[] query = new float[dim];
                for (int j = 0; j < dim; j++) {
                    query[j] = (float) rnd.nextGaussian();
                }
                long t0 = System.nanoTime();
                idx.search(query, 256);
                if (q >= 10) {
                    t.add((System.nanoTime() - t0) / 1e6);
                }
            }
            row("ITC search, 100k × 256 index, top 256 (median ms, goal < 20)", String.format("%.1f", median(t)));
            idx.close();
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder())
                        .forEach(p -> p.toFile().delete());
            }
        }
    }

    static void train(Ceiling.Rates rates, boolean pretrain) throws Exception {
        trainCaption(rates);
        row(
                "  peak RSS of the caption training step alone, fresh JVM (MB, goal ≤ 4096)",
                Long.toString(Ceiling.childPeakRss(false)));
        row(
                "  the same with the update inside backward (optimizer_in_backward; MB)",
                Long.toString(Ceiling.childPeakRss(true)));
        if (pretrain) {
            pretrain();
        }
    }

    /** The caption training step (ViT-B/16@224 + BERT-base, batch 2); rates null: only the step, for its peak RSS. */
    static void trainCaption(Ceiling.Rates rates) throws Exception {
        BlipConfig c = BlipConfig.base(224);
        BlipDecoder dec = random(new BlipDecoder(c), 5);
        dec.train(true);
        dec.requiresGrad(true);
        int ckpt = Integer.getInteger("bench.vitCkpt", 0); // ViT blocks gradient-checkpointed (vit_ckpt_layer)
        dec.visualEncoder().gradientCheckpointing(ckpt);
        AdamW opt = AdamW.blip(dec.namedParameters(), 1e-5, 0.05);
        boolean fused = Boolean.getBoolean("bench.fusedStep"); // optimizer_in_backward
        Random rnd = new Random(6);
        int batch = Integer.getInteger("bench.trainBatch", 2); // the figure is batch 2
        long[][] ids = new long[batch][30];
        long[][] mask = new long[batch][30];
        for (int i = 0; i < batch; i++) {
            ids[i][0] = 30522;
            for (int j = 1; j < 30; j++) {
                ids[i][j] = 1000 + rnd.nextInt(28000);
                mask[i][j] = 1;
            }
            mask[i][0] = 1;
        }
        List<Double> t = new ArrayList<>();
        List<Double> fb = new ArrayList<>();
        List<Double> mm = new ArrayList<>();
        List<Double> fbMixed = new ArrayList<>(); // precision: bf16, steps interleaved with float32's
        List<Double> fbBlas = new ArrayList<>(); // float32 with every product on OpenBLAS (-Dblip4j.gemm=openblas)
        int reps = Integer.getInteger("bench.trainReps", 3); // measured steps after one warm-up step
        int modes = rates == null ? 1 : 3;
        for (int step = 0; step < (reps + 1) * modes; step++) {
            int r = step / modes;
            boolean mixed = step % modes == 1;
            boolean blas = step % modes == 2;
            try (SystemProperty p = blas ? SystemProperty.set(OneDnnLinear.PROPERTY, "openblas") : null;
                    PointerScope s = new PointerScope();
                    Bf16Linear.Autocast a = mixed ? Bf16Linear.autocast() : null) {
                double before = rates == null ? 0 : Ceiling.libtorchMatmul(1);
                long t0 = System.nanoTime();
                Tensor idsT = T.longs(ids);
                Tensor maskT = T.longs(mask);
                Tensor loss;
                try (PointerScope f =
                        new PointerScope()) { // as the Trainer: forward intermediates held by autograd only
                    loss = dec.loss(
                            dec.encodeImage(torch.randn(batch, 3, 224, 224)),
                            idsT,
                            maskT,
                            BlipDecoder.targets(idsT, maskT, 4));
                    s.attach(loss);
                    f.detach(loss);
                }
                if (fused) {
                    opt.beginBackwardStep();
                }
                loss.backward();
                org.blip4j.nn.DeferredBackward.finishAll(dec);
                long t1 = System.nanoTime();
                if (fused) {
                    opt.finishBackwardStep();
                } else {
                    opt.step();
                    opt.zeroGrad();
                }
                if (r > 0 && mixed) {
                    fbMixed.add((t1 - t0) / 1e6);
                } else if (r > 0 && blas) {
                    fbBlas.add((t1 - t0) / 1e6);
                } else if (r > 0) {
                    t.add((System.nanoTime() - t0) / 1e6);
                    fb.add((t1 - t0) / 1e6);
                    if (rates != null) {
                        mm.add((before + Ceiling.libtorchMatmul(1)) / 2);
                    }
                }
            }
        }
        if (rates == null) {
            System.out.println("STEP_MS " + median(t) + " (forward + backward " + median(fb)
                    + ", update inside backward " + fused + ")");
            System.out.println("PEAK_RSS_MB " + peakRssMb());
            return;
        }
        double flops = 3 * (batch * vitFlops(224) + medFlops(batch, 30, batch, 197, true)); // backward ≈ 2 × forward
        row(
                "train step: caption model ViT-B/16@224 + BERT-base, batch " + batch + ", fwd+bwd+AdamW, " + ckpt
                        + " ViT blocks checkpointed (median ms)",
                String.format("%.0f", median(t)));
        row(
                "  of which forward + backward (median ms)",
                String.format("%.0f; %s", median(fb), rate(flops, median(fb), rates, median(mm))));
        row(
                "  forward + backward with every product on OpenBLAS (-Dblip4j.gemm=openblas, steps interleaved; "
                        + "median ms)",
                String.format(
                        "%.0f (the default %.2fx faster); %s",
                        median(fbBlas), median(fbBlas) / median(fb), rate(flops, median(fbBlas), rates, median(mm))));
        row(
                "  forward + backward with precision: bf16 (mixed precision, steps interleaved; median ms)",
                String.format(
                        "%.0f (%.2fx float32's); %s",
                        median(fbMixed),
                        median(fb) / median(fbMixed),
                        rate(flops, median(fbMixed), rates, median(mm))));
        row("  peak RSS so far in this JVM (MB)", Long.toString(peakRssMb()));
        opt.state().values().forEach(Tensor::close);
        free(dec);
        rss("training");
    }

    static void pretrain() throws Exception {
        BlipConfig c = BlipConfig.base(224);
        int ckpt = Integer.getInteger("bench.vitCkpt", 0);
        int reps = Integer.getInteger("bench.trainReps", 3);
        Random rnd = new Random(6);
        BlipPretrain pre = random(new BlipPretrain(c, 57600, 0.995), 7);
        pre.copyParams();
        pre.train(true);
        pre.blocksOf(org.blip4j.model.vision.VisionTransformer.class).forEach(v -> v.gradientCheckpointing(ckpt));
        pre.trainableParameters().values().forEach(p -> p.set_requires_grad(true));
        AdamW popt = AdamW.blip(pre.trainableParameters(), 3e-4, 0.05);
        long[][] pids = new long[4][30];
        long[][] pmask = new long[4][30];
        for (int i = 0; i < 4; i++) {
            pids[i][0] = 101;
            for (int j = 1; j < 30; j++) {
                pids[i][j] = 1000 + rnd.nextInt(28000);
                pmask[i][j] = 1;
            }
            pmask[i][0] = 1;
        }
        List<Double> pt = new ArrayList<>();
        for (int r = 0; r <= Math.max(1, reps - 1); r++) {
            try (PointerScope s = new PointerScope()) {
                long t0 = System.nanoTime();
                BlipPretrain.Losses l = pre.forward(
                        torch.randn(4, 3, 224, 224),
                        T.longs(pids),
                        T.longs(pmask),
                        0.4,
                        30523,
                        30522,
                        NegativeSampler.seeded(r));
                l.total().backward();
                org.blip4j.nn.DeferredBackward.finishAll(pre);
                popt.step();
                popt.zeroGrad();
                if (r > 0) {
                    pt.add((System.nanoTime() - t0) / 1e6);
                }
            }
        }
        row(
                "train step: pre-training (ITC+ITM+LM, momentum, queue 57600), ViT-B@224, batch 4, " + ckpt
                        + " ViT blocks checkpointed (median ms)",
                String.format("%.0f", median(pt)));
        row("  peak RSS (MB)", Long.toString(peakRssMb()));
    }
}

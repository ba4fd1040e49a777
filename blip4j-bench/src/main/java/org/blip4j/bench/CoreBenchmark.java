package org.blip4j.bench;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.blip4j.config.BlipConfig;
import org.blip4j.config.VisionConfig;
import org.blip4j.engine.BlasThreads;
import org.blip4j.engine.Engine;
import org.blip4j.engine.T;
import org.blip4j.io.RawTensor;
import org.blip4j.io.SafeTensors;
import org.blip4j.model.BlipDecoder;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The core performance harness behind {@code bin/bench}: image-encoder throughput against plain matmul, text-decoder
 * latency, checkpoint load time and peak RSS in a fresh JVM, and start-up time to the first tensor op; prints a
 * markdown table.
 *
 * <p>Usage: {@code CoreBenchmark [--quick] [--rounds N] [--only encoder,text,load,start] [--checkpoint FILE]} or
 * {@code CoreBenchmark --profile}. Set {@code OMP_WAIT_POLICY=passive} in the environment (bin/bench does).
 */
public final class CoreBenchmark {
    private static final Set<String> SECTIONS = Set.of("encoder", "text", "load", "start");

    private final boolean quick;
    private final int rounds;
    private final Set<String> only;
    private final Path checkpoint;
    private final List<String[]> rows = new ArrayList<>();
    private BlipDecoder model;

    private CoreBenchmark(boolean quick, int rounds, Set<String> only, Path checkpoint) {
        this.quick = quick;
        this.rounds = rounds;
        this.only = only;
        this.checkpoint = checkpoint;
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        int rounds = -1;
        Path checkpoint = null;
        Set<String> only = SECTIONS;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--checkpoint" -> checkpoint = Path.of(args[++i]);
                case "--profile" -> {
                    Engine.load();
                    EncoderProfile p = new EncoderProfile(VisionConfig.base(384));
                    p.run(1);
                    p.run(8);
                    return;
                }
                case "--only" -> {
                    only = Set.of(args[++i].split(","));
                    if (!SECTIONS.containsAll(only)) {
                        usage("unknown section in " + only);
                    }
                }
                case "-h", "--help" -> usage(null);
                default -> usage("unknown option " + args[i]);
            }
        }
        if (rounds < 0) {
            rounds = quick ? 2 : 3;
        }
        new CoreBenchmark(quick, rounds, only, checkpoint).run();
    }

    private static void usage(String error) {
        System.err.println((error == null ? "" : error + "\n")
                + "usage: CoreBenchmark [--quick] [--rounds N] [--only encoder,text,load,start] [--checkpoint FILE]\n"
                + "  --checkpoint FILE  load test: reuse FILE if it exists, else write it there and keep it\n"
                + "  --profile          time each operation of one ViT block (batch 1 and 8) and exit");
        System.exit(error == null ? 0 : 2);
    }

    private void run() throws Exception {
        if (System.getenv("OMP_WAIT_POLICY") == null) {
            System.err.println("warning: OMP_WAIT_POLICY is not set; use bin/bench or export OMP_WAIT_POLICY=passive");
        }
        Engine.load();
        log("machine: " + Machine.describe());
        log("threads: libtorch intra-op " + torch.get_num_threads() + ", inter-op " + torch.get_num_interop_threads()
                + ", OpenBLAS " + BlasThreads.threads() + "; OMP_WAIT_POLICY=" + System.getenv("OMP_WAIT_POLICY")
                + "; rounds "
                + rounds + (quick ? " (quick)" : ""));
        if (only.contains("encoder") || only.contains("text") || only.contains("load")) {
            long t0 = System.nanoTime();
            model = RandomWeights.init(new BlipDecoder(BlipConfig.base(384)), 0);
            log(String.format(
                    "built BLIP-base captioner with random weights in %.1f s", (System.nanoTime() - t0) / 1e9));
        }
        if (only.contains("encoder")) {
            encoder();
        }
        if (only.contains("text")) {
            text();
        }
        if (only.contains("load")) {
            load();
        }
        if (only.contains("start")) {
            start();
        }
        System.out.println();
        System.out.println(java.time.LocalDate.now() + ", " + Machine.describe() + ", load average at the end "
                + String.format(
                        "%.1f",
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                                .getSystemLoadAverage()));
        System.out.println();
        System.out.println("| Measure | Result (median, range, n) | Goal |");
        System.out.println("|---|---|---|");
        for (String[] r : rows) {
            System.out.println("| " + r[0] + " | " + r[1] + " | " + r[2] + " |");
        }
    }

    /** One encoder configuration: batch size and whether attention runs as a serial-BLAS section (the default). */
    private record Variant(String name, int batch, boolean serialBlas) {}

    /**
     * Encoder images/s at batch 1 and 8, each run between two matmul measurements so that every ratio is taken side by
     * side; the full run also times batch 1 with serial-BLAS attention turned off (the state before that fix).
     */
    private void encoder() {
        VisionConfig vc = model.config().vision();
        double flopsPerImage = Flops.vitPerImage(vc);
        log(String.format("ViT-B/16 @%d: %.1f GFLOP per image (analytical)", vc.imageSize(), flopsPerImage / 1e9));
        EncoderBench bench = new EncoderBench(model);
        Tensor a = torch.randn(EncoderBench.MATMUL_N, EncoderBench.MATMUL_N);
        Tensor b = torch.randn(EncoderBench.MATMUL_N, EncoderBench.MATMUL_N);
        List<Variant> variants =
                new ArrayList<>(List.of(new Variant("batch 1", 1, true), new Variant("batch 8", 8, true)));
        if (!quick) {
            variants.add(new Variant("batch 1, serial-BLAS attention off", 1, false)); // batch 8 would take minutes
        }
        Map<Integer, Tensor> pixels = new LinkedHashMap<>();
        for (Variant v : variants) {
            pixels.computeIfAbsent(v.batch(), n -> torch.randn(n, 3, vc.imageSize(), vc.imageSize()));
        }
        // warm-up: first calls allocate, pick kernels and fault in pages
        bench.matmulGflops(a, b);
        for (Tensor px : pixels.values()) {
            bench.encodeSeconds(px);
        }
        Stats mm = new Stats();
        Map<Variant, Stats> ips = new LinkedHashMap<>();
        Map<Variant, Stats> ratio = new LinkedHashMap<>();
        Map<Variant, Stats> cpuRatio = new LinkedHashMap<>();
        for (Variant v : variants) {
            ips.put(v, new Stats());
            ratio.put(v, new Stats());
            cpuRatio.put(v, new Stats());
        }
        for (int r = 0; r < rounds; r++) {
            double[] before = matmulMedian(bench, a, b);
            StringBuilder line = new StringBuilder(String.format("round %d: matmul %.0f", r + 1, before[0]));
            for (Variant v : variants) {
                setSerialBlas(v.serialBlas());
                long c0 = CpuClock.nanos();
                double sec = bench.encodeSeconds(pixels.get(v.batch()));
                double cpuSec = (CpuClock.nanos() - c0) / 1e9;
                setSerialBlas(true);
                double[] after = matmulMedian(bench, a, b);
                double gflops = v.batch() * flopsPerImage / sec / 1e9;
                double perCpu = v.batch() * flopsPerImage / (cpuSec / CORES) / 1e9;
                ips.get(v).add(v.batch() / sec);
                ratio.get(v).add(gflops / ((before[0] + after[0]) / 2));
                cpuRatio.get(v).add(perCpu / ((before[1] + after[1]) / 2));
                mm.add(after[0]);
                line.append(String.format("; %s %.0f GFLOP/s; matmul %.0f", v.name(), gflops, after[0]));
                before = after;
            }
            log(line.toString());
        }
        row("sgemm 2048³ float32 (reference)", mm.describe("%.0f") + " GFLOP/s", "");
        for (Variant v : variants) {
            row(
                    "ViT-B/16 384 px, " + v.name(),
                    ips.get(v).describe("%.2f") + " img/s = "
                            + String.format("%.0f", ips.get(v).median() * flopsPerImage / 1e9) + " GFLOP/s",
                    "");
            row(
                    "… encoder ÷ sgemm GFLOP/s, " + v.name(),
                    ratio.get(v).describe("%.2f"),
                    v.serialBlas() ? "≥ 0.85" : "");
            row(
                    "… the same per CPU-second (less sensitive to other load), " + v.name(),
                    cpuRatio.get(v).describe("%.2f"),
                    "");
        }
    }

    private static final int CORES = Runtime.getRuntime().availableProcessors();

    private static void setSerialBlas(boolean on) {
        System.setProperty(BlasThreads.SERIAL_PROPERTY, Boolean.toString(on));
    }

    /** Median GFLOP/s of three matmuls: by wall time, and by process CPU time ÷ cores. */
    private double[] matmulMedian(EncoderBench bench, Tensor a, Tensor b) {
        Stats wall = new Stats();
        long c0 = CpuClock.nanos();
        for (int i = 0; i < 3; i++) {
            wall.add(bench.matmulGflops(a, b));
        }
        double cpuSec = (CpuClock.nanos() - c0) / 1e9;
        return new double[] {wall.median(), 3 * Flops.matmul(2048, 2048, 2048) / (cpuSec / CORES) / 1e9};
    }

    /** Decoder forward (20 tokens) and one cached step (after 20 tokens) over 577 image tokens, batch 1. */
    private void text() {
        VisionConfig vc = model.config().vision();
        Tensor image = torch.randn(1, vc.numTokens(), vc.hiddenSize());
        TextBench bench = new TextBench(model);
        bench.forwardMs(image, 20);
        bench.stepMs(image, 20);
        Stats fwd = new Stats();
        Stats step = new Stats();
        int reps = Math.max(3, rounds * 2);
        for (int i = 0; i < reps; i++) {
            fwd.add(bench.forwardMs(image, 20));
            step.add(bench.stepMs(image, 20));
        }
        row(
                "MED decoder forward, 20 tokens over 577 image tokens, batch 1",
                fwd.describe("%.0f") + " ms",
                "information");
        row("MED decode step (1 token, KV cache, 20 past), batch 1", step.describe("%.1f") + " ms", "information");
    }

    /** Writes a random BLIP-base checkpoint (unless --checkpoint names an existing one) and loads it in fresh JVMs. */
    private void load() throws Exception {
        boolean keep = checkpoint != null;
        Path dir = keep ? null : Files.createTempDirectory("blip4j-bench");
        Path file = keep ? checkpoint : dir.resolve("blip-base-random.safetensors");
        try {
            if (!Files.exists(file)) {
                long t0 = System.nanoTime();
                SafeTensors.write(file, stateDict(model), Map.of("format", "pt"));
                log(String.format("wrote %s in %.1f s", file, (System.nanoTime() - t0) / 1e9));
            }
            long size = Files.size(file);
            Stats loaded = new Stats();
            Stats readLoad = new Stats();
            Stats hwm = new Stats();
            int reps = quick ? 2 : 3;
            for (int i = 0; i < reps; i++) {
                Map<String, String> r = ChildJvm.run(List.of(), LoadProbe.class.getName(), file.toString());
                log("load probe: " + r);
                loaded.add(Double.parseDouble(r.get("loadedMs")) / 1000);
                readLoad.add(Double.parseDouble(r.get("readLoadMs")) / 1000);
                hwm.add(Double.parseDouble(r.get("hwmKb")) * 1024 / 1e6);
            }
            String mb = String.format("%.0f MB", size / 1e6);
            row("load " + mb + " safetensors: JVM launch → model loaded", loaded.describe("%.2f") + " s", "< 2 s");
            row("… of which Checkpoints.read + WeightLoader.load", readLoad.describe("%.2f") + " s", "");
            row(
                    "peak RSS (VmHWM) after load",
                    hwm.describe("%.0f") + String.format(" MB = %.2f × file", hwm.median() * 1e6 / size),
                    "< 1.3 × file");
        } finally {
            if (!keep) {
                Files.deleteIfExists(file);
                Files.deleteIfExists(dir);
            }
        }
    }

    /** The model's tensors as checkpoint tensors that view the tensors' own memory (no copy). */
    private static Map<String, RawTensor> stateDict(BlipDecoder m) {
        Map<String, RawTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : m.namedTensors().entrySet()) {
            Tensor t = e.getValue();
            long n = t.numel() * t.element_size();
            var buf = new BytePointer(t.data_ptr()).capacity(n).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            out.put(e.getKey(), new RawTensor(T.dtype(t.scalar_type()), T.shape(t), buf));
        }
        return out;
    }

    /**
     * Launch to first tensor op in fresh JVMs, after one untimed launch that warms the file cache: plain {@code java},
     * and for information with JVM options a launcher can add (C1 only; an AppCDS archive made here on the fly). The
     * variants take turns so that they see the same machine load.
     */
    private void start() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("blip4j-bench-cds");
        Path jsa = dir.resolve("app.jsa");
        try {
            ChildJvm.run(List.of("-XX:ArchiveClassesAtExit=" + jsa), StartProbe.class.getName());
            List<String> cds = Files.exists(jsa) ? List.of("-XX:SharedArchiveFile=" + jsa) : null;
            Map<String, List<String>> variants = new LinkedHashMap<>();
            variants.put("java", List.of());
            variants.put("java -XX:TieredStopAtLevel=1", List.of("-XX:TieredStopAtLevel=1"));
            if (cds != null) {
                variants.put("java + AppCDS archive", cds);
                List<String> both = new ArrayList<>(cds);
                both.add("-XX:TieredStopAtLevel=1");
                variants.put("java + AppCDS + TieredStopAtLevel=1", both);
            }
            Map<String, Stats> first = new LinkedHashMap<>();
            Stats engine = new Stats();
            Stats jvm = new Stats();
            variants.keySet().forEach(k -> first.put(k, new Stats()));
            for (int i = 0; i < 3; i++) {
                for (var v : variants.entrySet()) {
                    Map<String, String> r = ChildJvm.run(v.getValue(), StartProbe.class.getName());
                    log("start probe (" + v.getKey() + "): " + r);
                    first.get(v.getKey()).add(Double.parseDouble(r.get("firstOpMs")) / 1000);
                    if (v.getValue().isEmpty()) {
                        engine.add(Double.parseDouble(r.get("engineLoadMs")) / 1000);
                        jvm.add(Double.parseDouble(r.get("jvmReadyMs")) / 1000);
                    }
                }
            }
            boolean firstRow = true;
            for (var e : first.entrySet()) {
                row(
                        "start: launch → first tensor op (warm), " + e.getKey(),
                        e.getValue().describe("%.2f") + " s",
                        firstRow ? "< 1.5 s" : "information");
                if (firstRow) {
                    row("… of which launch → main()", jvm.describe("%.2f") + " s", "");
                    row("… of which Engine.load()", engine.describe("%.2f") + " s", "");
                    firstRow = false;
                }
            }
        } finally {
            Files.deleteIfExists(jsa);
            Files.deleteIfExists(dir);
        }
    }

    private void row(String measure, String result, String goal) {
        rows.add(new String[] {measure, result, goal});
        log(measure + ": " + result);
    }

    private static void log(String s) {
        System.err.println("[bench] " + s);
    }
}

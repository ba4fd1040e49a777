package org.blip4j.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.blip4j.engine.Engine;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The machine's float32 GEMM ceiling, measured in the same run as the task benchmarks (issue 14): 2048³ sgemm through
 * libtorch in this JVM and in a child JVM, and through a plain OpenBLAS (Debian's python3-numpy), each with and
 * without the environment's {@code OPENBLAS_CORETYPE} / {@code OPENBLAS_L2_SIZE}. When the environment sets neither,
 * the "with" variant uses {@code BENCH_OPENBLAS_ENV} (default {@code OPENBLAS_CORETYPE=Haswell}, what the development
 * machine's environment set). Also run as a main: prints one libtorch rate (the child).
 */
final class Ceiling {
    static final List<String> VARS = List.of("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE");
    static final String NUMPY = "import numpy as np, time\\n"
            + "n=2048\\na=np.random.rand(n,n).astype(np.float32)\\n"
            + "b=np.random.rand(n,n).astype(np.float32)\\na@b\\nts=[]\\n"
            + "for i in range(5):\\n t=time.perf_counter(); a@b; ts.append(time.perf_counter()-t)\\n"
            + "ts.sort()\\nprint('GFLOPS', 2*n**3/ts[2]/1e9)\\n";

    private Ceiling() {}

    /** GFLOP/s of each variant; NaN where it could not run. */
    record Rates(double torchHere, double torchOther, double numpyEnv, double numpyPlain, boolean hereHasEnv) {
        double best() {
            return Arrays.stream(new double[] {torchHere, torchOther, numpyEnv, numpyPlain})
                    .filter(d -> !Double.isNaN(d))
                    .max()
                    .orElse(Double.NaN);
        }
    }

    public static void main(String[] args) {
        Engine.load();
        System.out.println("GFLOPS " + libtorchMatmul(5));
    }

    static boolean envHasSettings() {
        return VARS.stream().anyMatch(v -> System.getenv(v) != null);
    }

    /** The settings the "with" variant runs under. */
    static Map<String, String> settings() {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        if (envHasSettings()) {
            VARS.forEach(v -> {
                if (System.getenv(v) != null) {
                    m.put(v, System.getenv(v));
                }
            });
        } else {
            for (String kv : System.getenv()
                    .getOrDefault("BENCH_OPENBLAS_ENV", "OPENBLAS_CORETYPE=Haswell")
                    .split(",")) {
                String[] p = kv.trim().split("=", 2);
                if (p.length == 2) {
                    m.put(p[0], p[1]);
                }
            }
        }
        return m;
    }

    static String envSettings() {
        return (envHasSettings() ? "environment: " : "environment sets no OPENBLAS_*; \"with\" = ") + settings();
    }

    static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (Exception e) {
            return "?";
        }
    }

    /**
     * The memory read bandwidth libtorch reaches in this process (GB/s): the best of {@code reps} sums over 400 MB of
     * float32, with its intra-op threads — the ceiling for work that streams weights once, as a decode step does.
     */
    static double readBandwidth(int reps) {
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            Tensor big = torch.ones(100_000_000L); // 400 MB, touched once before timing
            big.sum();
            double best = Double.MAX_VALUE;
            for (int i = 0; i < reps; i++) {
                long t0 = System.nanoTime();
                big.sum().item_double();
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            }
            return big.numel() * 4.0 / best / 1e9;
        }
    }

    /** Median GFLOP/s of {@code reps} 2048³ float32 matmuls through libtorch, after one untimed product. */
    static double libtorchMatmul(int reps) {
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            Tensor a = torch.randn(2048, 2048);
            Tensor b = torch.randn(2048, 2048);
            torch.matmul(a, b);
            double[] t = new double[reps];
            for (int i = 0; i < reps; i++) {
                long t0 = System.nanoTime();
                torch.matmul(a, b);
                t[i] = (System.nanoTime() - t0) / 1e9;
            }
            Arrays.sort(t);
            return 2 * Math.pow(2048, 3) / t[reps / 2] / 1e9;
        }
    }

    static Rates measure(BiConsumer<String, String> row) {
        boolean here = envHasSettings();
        double th = libtorchMatmul(5);
        double other =
                child(List.of(java(), "-cp", System.getProperty("java.class.path"), Ceiling.class.getName()), !here);
        double npEnv = child(List.of("/usr/bin/python3", "-c", NUMPY.replace("\\n", "\n")), true);
        double npPlain = child(List.of("/usr/bin/python3", "-c", NUMPY.replace("\\n", "\n")), false);
        Rates r = new Rates(th, other, npEnv, npPlain, here);
        String with = "with " + settings();
        row.accept(
                "ceiling: libtorch matmul 2048³ float32, this JVM, " + (here ? with : "without OPENBLAS_*")
                        + " (GFLOP/s)",
                fmt(th));
        row.accept(
                "ceiling: libtorch matmul 2048³, child JVM, " + (here ? "without OPENBLAS_*" : with) + " (GFLOP/s)",
                fmt(other));
        row.accept("ceiling: numpy (Debian python3-numpy, OpenBLAS) sgemm 2048³, " + with + " (GFLOP/s)", fmt(npEnv));
        row.accept("ceiling: numpy sgemm 2048³, without OPENBLAS_* (GFLOP/s)", fmt(npPlain));
        row.accept("ceiling: best float32 GEMM rate of this run (GFLOP/s)", fmt(r.best()));
        return r;
    }

    static void measureAgain(Rates r, BiConsumer<String, String> row) {
        row.accept("ceiling again at the end: libtorch matmul 2048³, this JVM (GFLOP/s)", fmt(libtorchMatmul(5)));
    }

    private static String fmt(double d) {
        return Double.isNaN(d) ? "not available" : String.format("%.0f", d);
    }

    static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    /** Runs a child with or without the OPENBLAS_* settings and parses its "GFLOPS x" line; NaN on failure. */
    static double child(List<String> cmd, boolean withSettings) {
        String v = runChild(cmd, withSettings, "GFLOPS ");
        return v == null ? Double.NaN : Double.parseDouble(v);
    }

    /** Peak RSS (MB) of the caption training step alone, in a fresh JVM. */
    static long childPeakRss(boolean fused) {
        List<String> cmd = new ArrayList<>(List.of(
                java(),
                "-Xmx4g",
                "-Dbench.fusedStep=" + fused,
                "-Dbench.trainReps=" + Integer.getInteger("bench.trainReps", 3),
                "-cp",
                System.getProperty("java.class.path"),
                TaskBenchmark.class.getName(),
                "--only",
                "train-alone"));
        String v = runChild(cmd, envHasSettings(), "PEAK_RSS_MB ");
        return v == null ? -1 : Long.parseLong(v.trim());
    }

    private static String runChild(List<String> cmd, boolean withSettings, String prefix) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            Map<String, String> env = pb.environment();
            VARS.forEach(env::remove);
            if (withSettings) {
                env.putAll(settings());
            }
            Process p = pb.start();
            String found = null;
            try (BufferedReader in =
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = in.readLine()) != null; ) {
                    if (l.startsWith(prefix)) {
                        found = l.substring(prefix.length()).trim();
                    }
                }
            }
            return p.waitFor() == 0 ? found : null;
        } catch (Exception e) {
            return null;
        }
    }
}

package org.blip4j.retrieval;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.blip4j.engine.Engine;
import org.bytedeco.pytorch.global.torch;

/**
 * ITC-stage search latency over a large random index (not a unit test: run its {@code main}); also times the
 * alternative that was measured against the index's libtorch product, a scalar Java loop over the same mapped rows.
 *
 * <pre>
 * java -cp blip4j-core/target/test-classes:blip4j-core/target/classes:$(deps) org.blip4j.retrieval.SearchBenchmark \
 *     [rows=100000] [dim=256] [queries=50] [k=256]
 * </pre>
 */
public final class SearchBenchmark {
    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();

    private SearchBenchmark() {}

    public static void main(String[] args) throws IOException {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int dim = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        int queries = args.length > 2 ? Integer.parseInt(args[2]) : 50;
        int k = args.length > 3 ? Integer.parseInt(args[3]) : 256;
        Path dir = Files.createTempDirectory("blip4j-bench");
        try {
            Random rnd = new Random(42);
            long t0 = System.nanoTime();
            try (EmbeddingIndex idx = EmbeddingIndex.create(dir, dim).durable(false)) {
                int batch = 10_000;
                for (int start = 0; start < rows; start += batch) {
                    int n = Math.min(batch, rows - start);
                    List<String> ids = new ArrayList<>(n);
                    List<float[]> vecs = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        ids.add("/photos/img_" + (start + i) + ".jpg");
                        vecs.add(EmbeddingIndexTest.unit(rnd, dim));
                    }
                    idx.append(ids, vecs);
                }
            }
            System.out.printf(
                    "built %d x %d index (%.1f MB) in %.1f s%n",
                    rows, dim, Files.size(dir.resolve(EmbeddingIndex.VECTORS)) / 1e6, (System.nanoTime() - t0) / 1e9);
            float[][] qs = new float[queries][];
            for (int i = 0; i < queries; i++) {
                qs[i] = EmbeddingIndexTest.unit(rnd, dim);
            }
            try (EmbeddingIndex idx = EmbeddingIndex.openReadOnly(dir)) {
                for (int w = 0; w < 20; w++) { // warm-up: JIT, natives and page cache
                    idx.search(qs[w % queries], k);
                }
                measure(
                        "EmbeddingIndex.search (libtorch " + torch.get_num_threads() + " threads)",
                        qs,
                        q -> idx.search(q, k));
                // the alternative that was measured: a scalar Java loop over the mapped floats (8 accumulators)
                FloatBuffer all;
                try (FileChannel ch = FileChannel.open(dir.resolve(EmbeddingIndex.VECTORS), StandardOpenOption.READ)) {
                    all = ch.map(FileChannel.MapMode.READ_ONLY, EmbeddingIndex.HEADER_BYTES, 4L * rows * dim)
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .asFloatBuffer();
                }
                for (int w = 0; w < 10; w++) {
                    javaScan(all, rows, dim, qs[w % queries], k);
                }
                measure("java scalar scan (1 thread)", qs, q -> javaScan(all, rows, dim, q, k));
                Engine.setThreads(1);
                measure("EmbeddingIndex.search (libtorch 1 thread)", qs, q -> idx.search(q, k));
            }
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder())
                        .forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * Wall time per query, plus the calling thread's CPU time (exact when the work runs on that thread: 1 thread) and the
     * process CPU time (coarse ticks): on a shared, loaded machine the CPU times show the cost apart from waiting.
     */
    private static void measure(String what, float[][] qs, Consumer<float[]> search) {
        int n = qs.length;
        double[] wall = new double[n];
        double[] thread = new double[n];
        double[] proc = new double[n];
        for (int i = 0; i < n; i++) {
            long p = cpuNanos();
            long c = THREADS.getCurrentThreadCpuTime();
            long s = System.nanoTime();
            search.accept(qs[i]);
            wall[i] = (System.nanoTime() - s) / 1e6;
            thread[i] = (THREADS.getCurrentThreadCpuTime() - c) / 1e6;
            proc[i] = (cpuNanos() - p) / 1e6;
        }
        System.out.printf(
                "%-44s wall median %6.2f ms  p90 %6.2f  min %6.2f | thread CPU median %6.2f ms | process CPU "
                        + "median %6.2f ms  (%d queries)%n",
                what, median(wall), pct(wall, 0.9), pct(wall, 0), median(thread), median(proc), n);
    }

    static float javaScan(FloatBuffer fb, int rows, int dim, float[] q, int k) {
        TopK top = new TopK(k);
        for (int r = 0; r < rows; r++) {
            int off = r * dim;
            float s0 = 0;
            float s1 = 0;
            float s2 = 0;
            float s3 = 0;
            float s4 = 0;
            float s5 = 0;
            float s6 = 0;
            float s7 = 0;
            for (int j = 0; j + 8 <= dim; j += 8) {
                int o = off + j;
                s0 += fb.get(o) * q[j];
                s1 += fb.get(o + 1) * q[j + 1];
                s2 += fb.get(o + 2) * q[j + 2];
                s3 += fb.get(o + 3) * q[j + 3];
                s4 += fb.get(o + 4) * q[j + 4];
                s5 += fb.get(o + 5) * q[j + 5];
                s6 += fb.get(o + 6) * q[j + 6];
                s7 += fb.get(o + 7) * q[j + 7];
            }
            float x = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
            if (x >= top.threshold()) {
                top.offer(x, r);
            }
        }
        return top.drain().scores()[0];
    }

    private static double median(double[] v) {
        return pct(v, 0.5);
    }

    private static double pct(double[] v, double p) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) (s.length * p))];
    }

    /** CPU time of the whole process (all threads): on a shared machine it shows the work apart from waiting. */
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean)
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}

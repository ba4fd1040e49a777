package org.blip4j.engine;

import org.bytedeco.pytorch.global.torch;

/**
 * libtorch's intra-op thread count at start-up, set explicitly instead of trusting the OpenMP default: a fresh libtorch
 * process has been seen reporting {@code get_num_threads() == 1} on the 2-core development machine (engine.md), which
 * leaves every non-BLAS op (softmax, GELU, layer norm, FBGEMM int8, oneDNN) on one core.
 *
 * <p>Order of precedence: {@code -Dblip4j.threads=N}, then {@code OMP_NUM_THREADS} (left to libtorch, which reads
 * it), then one thread per available processor. {@link Engine#setThreads} changes it later.
 */
public final class IntraOpThreads {
    /** System property that fixes the count. */
    public static final String PROPERTY = "blip4j.threads";

    private IntraOpThreads() {}

    /** The count {@link #apply()} chooses, or -1 when OMP_NUM_THREADS is set and libtorch's own choice stands. */
    public static int chosen() {
        String p = System.getProperty(PROPERTY);
        if (p != null) {
            try {
                int n = Integer.parseInt(p.trim());
                if (n >= 1) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // fall through: a malformed value is ignored, as OpenMP ignores a malformed OMP_NUM_THREADS
            }
        }
        if (System.getenv("OMP_NUM_THREADS") != null) {
            return -1;
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /**
     * Runs {@code work} with one intra-op thread on the calling thread, then restores the count. libtorch's OpenMP
     * thread count is an OpenMP per-thread setting, so other threads' work keeps theirs; OpenBLAS keeps its own
     * threads. For work made of many tiny ops (a decode step's layer norms, GELUs and int8 products on a few rows),
     * where waking OpenMP's workers costs more than the op: measured on 2 cores, layer_norm on 3 × 768 takes 36–55 µs
     * with two threads and 8.5 µs with one (docs/performance.md, "Round six").
     */
    public static <T> T serial(java.util.function.Supplier<T> work) {
        int before = torch.get_num_threads();
        if (before <= 1) {
            return work.get();
        }
        torch.set_num_threads(1);
        try {
            return work.get();
        } finally {
            torch.set_num_threads(before);
        }
    }

    /** Sets the count when it differs from libtorch's (called once by {@link Engine#load()}, natives loaded). */
    static void apply() {
        int n = chosen();
        if (n > 0 && torch.get_num_threads() != n) {
            torch.set_num_threads(n);
        }
    }
}

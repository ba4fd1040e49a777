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

    /** Sets the count when it differs from libtorch's (called once by {@link Engine#load()}, natives loaded). */
    static void apply() {
        int n = chosen();
        if (n > 0 && torch.get_num_threads() != n) {
            torch.set_num_threads(n);
        }
    }
}

package org.blip4j.engine;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;

/**
 * Runs a few-row product's weight chunks on Java threads, each with a serial OpenBLAS (see {@link SkinnyLinear}).
 *
 * <p>Why: OpenBLAS's own pthread pool spins and hands off on every small call; on the shared 2-core machine, with
 * other processes runnable, each sgemv then waited a time slice for its second thread: 3 rows × 768→768 took 7.1 ms
 * threaded and 0.26 ms serial (load 5–6, docs/performance.md). Java threads that block instead of spinning keep the
 * memory bandwidth of both cores on a calm machine; on a busy one a single serial thread is best (see {@link #parts}).
 */
final class SkinnyParallel {
    /** Below this many weight bytes one thread is faster than a hand-off. */
    static final long MIN_BYTES = 1L << 20;

    private static volatile ExecutorService pool;

    private SkinnyParallel() {}

    /** System property fixing the thread count (otherwise chosen from the load, see {@link #parts}). */
    static final String PROPERTY = "blip4j.skinny.threads";

    /**
     * Threads to split a product over {@code weightBytes} across: the property when set; else libtorch's intra-op
     * count while the machine's 1-minute load average is below its core count, and 1 when it is not (measured: with
     * the cores oversubscribed, splitting cost 2–4× against one serial thread; on a calm machine two threads read
     * memory faster).
     */
    static int parts(long weightBytes) {
        if (weightBytes < MIN_BYTES) {
            return 1;
        }
        int n = Integer.getInteger(PROPERTY, -1);
        if (n >= 1) {
            return n;
        }
        int threads = org.bytedeco.pytorch.global.torch.get_num_threads();
        return threads > 1 && !MachineLoad.oversubscribed() ? threads : 1;
    }

    private static ExecutorService pool() {
        ExecutorService p = pool;
        if (p == null) {
            synchronized (SkinnyParallel.class) {
                p = pool;
                if (p == null) {
                    p = Executors.newCachedThreadPool(r -> {
                        Thread t = new Thread(r, "blip4j-skinny");
                        t.setDaemon(true);
                        return t;
                    });
                    pool = p;
                }
            }
        }
        return p;
    }

    /** Runs {@code part.accept(k)} for k in [0, parts): k ≥ 1 on pool threads, 0 on the caller; returns null. */
    static Void run(int parts, IntConsumer part) {
        Future<?>[] f = new Future<?>[parts - 1];
        for (int k = 1; k < parts; k++) {
            int kk = k;
            f[k - 1] = pool().submit(() -> {
                try (PointerScope s = new PointerScope();
                        NoGradGuard g = new NoGradGuard()) {
                    part.accept(kk);
                }
            });
        }
        RuntimeException failure = null;
        try {
            part.accept(0);
        } catch (RuntimeException e) {
            failure = e;
        }
        for (Future<?> x : f) {
            try {
                x.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted during a matrix–vector product", e);
            } catch (java.util.concurrent.ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        return null;
    }
}

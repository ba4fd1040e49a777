package org.blip4j.engine;

import java.util.function.Supplier;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.presets.openblas_nolapack.SetNumThreads;
import org.bytedeco.pytorch.global.torch;

/**
 * OpenBLAS's own thread pool, which libtorch's float32 matrix products run on: as many threads as libtorch's
 * intra-op pool for a top-level product, but one thread inside operations that libtorch already parallelises itself.
 *
 * <p>Why: this OpenBLAS is a pthreads build. libtorch's CPU attention kernel splits the work over heads and query
 * blocks with OpenMP and calls sgemm on every block; a multi-threaded OpenBLAS then oversubscribes the cores and spins
 * in its thread synchronisation (its sources warn "Detect OpenMP Loop and this application may hang"). On 2 cores that
 * made {@code scaled_dot_product_attention} for ViT-B/16 at 384 px 3–5× slower than with one OpenBLAS thread, and
 * 12–37× slower while other processes kept the cores busy (docs/performance.md). MKL builds of PyTorch avoid this
 * because MKL runs serially inside OpenMP regions; this class does the same by hand. Results differ only by float rounding (OpenBLAS's blocking depends on its thread count).
 * {@code -Dblip4j.blas.serial=false} turns the serial sections off (read on every call, for side-by-side benchmarks).
 */
public final class BlasThreads {
    /** System property that turns serial sections off when {@code false}. */
    public static final String SERIAL_PROPERTY = "blip4j.blas.serial";

    private static final Object LOCK = new Object();
    private static int threads = -1; // guarded by LOCK; -1 until init
    private static int serialSections; // guarded by LOCK
    /**
     * {@code openblas_set_num_threads}, looked up once: the presets' {@code blas_set_num_threads} helper looks it up
     * (and reloads the presets) on every call, 2–40 ms each. Null when the BLAS is not OpenBLAS.
     */
    private static SetThreads setThreads; // guarded by LOCK

    private BlasThreads() {}

    /**
     * Sets the OpenBLAS pool to {@code OPENBLAS_NUM_THREADS} when the user set it, else to libtorch's intra-op thread
     * count, so that the count restored after a serial section is known. Called once by {@link Engine#load()}.
     */
    static void init() {
        synchronized (LOCK) {
            int n = torch.get_num_threads();
            String env = System.getenv("OPENBLAS_NUM_THREADS");
            if (env != null) {
                try {
                    n = Integer.parseInt(env.trim());
                } catch (NumberFormatException e) {
                    // keep libtorch's count, as OpenBLAS ignores a malformed value too
                }
            }
            threads = Math.max(1, n);
            Pointer fn = Loader.addressof("openblas_set_num_threads");
            setThreads = null;
            if (fn != null && !fn.isNull()) {
                setThreads = new SetThreads();
                setThreads.retainReference(); // outlives any PointerScope that happens to be open during Engine.load()
                setThreads.put(fn);
            }
            set(threads);
        }
    }

    /** Calls {@code openblas_set_num_threads} (a no-op without OpenBLAS). */
    private static void set(int n) {
        if (setThreads != null) {
            setThreads.call(n);
        }
    }

    /** The presets' function-pointer type for {@code void (int)}, made instantiable. */
    private static final class SetThreads extends SetNumThreads {
        SetThreads() {
            super();
        }
    }

    /** The OpenBLAS thread count outside serial sections. */
    public static int threads() {
        Engine.load();
        synchronized (LOCK) {
            return threads;
        }
    }

    /**
     * Runs {@code body} (an operation that libtorch parallelises itself and that calls BLAS inside its parallel loop)
     * with OpenBLAS on one thread. Sections may nest and may run on several Java threads at once: the pool goes back to
     * {@link #threads()} when the last one ends. A top-level product that another thread runs meanwhile only runs on
     * one thread; its result is still correct.
     */
    public static <R> R serial(Supplier<R> body) {
        Engine.load();
        if ("false".equals(System.getProperty(SERIAL_PROPERTY))) {
            return body.get();
        }
        enter();
        try {
            return body.get();
        } finally {
            exit();
        }
    }

    private static void enter() {
        synchronized (LOCK) {
            if (serialSections++ == 0 && threads > 1) {
                set(1);
            }
        }
    }

    private static void exit() {
        synchronized (LOCK) {
            if (--serialSections == 0 && threads > 1) {
                set(threads);
            }
        }
    }
}

package org.blip4j.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
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
 * The workers wait for the next part by spinning briefly, then parking ({@link Worker}).
 */
final class SkinnyParallel {
    /** Below this many weight bytes one thread is faster than a hand-off. */
    static final long MIN_BYTES = 1L << 20;

    /** System property fixing the thread count (otherwise chosen from the load, see {@link #parts}). */
    static final String PROPERTY = "blip4j.skinny.threads";

    /**
     * Threads to split a product over {@code weightBytes} across: the property when set; else the process's thread
     * count ({@link BlasThreads#threads()}) while other processes leave the cores free ({@link MachineLoad}), and 1
     * when they do not (measured: with the cores oversubscribed, splitting cost 2–4× against one serial thread; on a
     * calm machine two threads read memory faster). The process's count, not the calling thread's OpenMP count: int8
     * and bf16 generation run their tiny ops on one OpenMP thread, and their float32 products should still stream on
     * every core.
     */
    static int parts(long weightBytes) {
        if (weightBytes < MIN_BYTES) {
            return 1;
        }
        int n = Integer.getInteger(PROPERTY, -1);
        if (n >= 1) {
            return n;
        }
        int threads = BlasThreads.threads();
        return threads > 1 && !MachineLoad.oversubscribed() ? threads : 1;
    }

    /** How long an idle worker spins for its next product before it parks (property in microseconds). */
    static final long SPIN_NANOS = Long.getLong("blip4j.skinny.spinMicros", 200) * 1000L;

    private static final ReentrantLock LOCK = new ReentrantLock();
    private static final List<Worker> WORKERS = new ArrayList<>(); // guarded by LOCK

    /**
     * Runs {@code part.accept(k)} for k in [0, parts): k ≥ 1 on worker threads, 0 on the caller; returns null. While
     * another thread's product holds the workers, all parts run on the caller.
     */
    static Void run(int parts, IntConsumer part) {
        if (!LOCK.tryLock()) {
            for (int k = 0; k < parts; k++) {
                part.accept(k);
            }
            return null;
        }
        try {
            while (WORKERS.size() < parts - 1) {
                WORKERS.add(Worker.start(WORKERS.size() + 1));
            }
            for (int k = 1; k < parts; k++) {
                WORKERS.get(k - 1).submit(part, k);
            }
            RuntimeException failure = null;
            try {
                part.accept(0);
            } catch (RuntimeException e) {
                failure = e;
            }
            for (int k = 1; k < parts; k++) {
                Throwable t = WORKERS.get(k - 1).await();
                if (t != null && failure == null) {
                    failure = t instanceof RuntimeException r ? r : new IllegalStateException(t);
                }
            }
            if (failure != null) {
                throw failure;
            }
            return null;
        } finally {
            LOCK.unlock();
        }
    }

    /**
     * A thread that takes one part at a time: it spins for {@link #SPIN_NANOS} after each part, so the next product of
     * a decode step (tenths of a millisecond later) starts without a wake-up, then parks. Why not an executor: handing
     * each product to a parked pool thread and waiting on a Future cost what the second core gained — split across
     * two threads that way, a 768→3072 product streamed at 13 GB/s against 10 on one (docs/performance.md, round
     * eleven). Workers only get work while the machine is calm ({@link #parts}), so the spinning takes an idle core.
     */
    private static final class Worker extends Thread {
        private volatile IntConsumer task;
        private volatile int index;
        private volatile long posted; // parts handed over; written by the caller holding LOCK
        private volatile long finished; // parts done; written by this thread
        private volatile Throwable error;

        static Worker start(int n) {
            Worker w = new Worker();
            w.setName("blip4j-skinny-" + n);
            w.setDaemon(true);
            w.start();
            return w;
        }

        void submit(IntConsumer t, int k) {
            task = t;
            index = k;
            error = null;
            posted = posted + 1; // publishes task and index
            LockSupport.unpark(this);
        }

        /** Waits for the part handed over last; returns what it threw, or null. */
        Throwable await() {
            long target = posted;
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (finished != target) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(20_000L);
                }
            }
            task = null;
            return error;
        }

        @Override
        public void run() {
            long seen = 0;
            while (true) {
                long spinUntil = System.nanoTime() + SPIN_NANOS;
                while (posted == seen) {
                    if (System.nanoTime() < spinUntil) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.park(this);
                    }
                }
                seen = posted;
                try (PointerScope s = new PointerScope();
                        NoGradGuard g = new NoGradGuard()) {
                    task.accept(index);
                } catch (Throwable t) {
                    error = t;
                }
                finished = seen;
            }
        }
    }
}

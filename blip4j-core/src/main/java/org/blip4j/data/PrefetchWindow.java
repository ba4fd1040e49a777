package org.blip4j.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntFunction;

/**
 * The worker side of {@link DataLoader} (what torch's worker processes and their index/result queues do): positions
 * 0..n-1 are loaded by worker threads into a ring of {@code window} slots and taken back strictly in position order;
 * a worker only claims a position less than {@code window} ahead of the consumer, which bounds memory.
 */
final class PrefetchWindow implements AutoCloseable {
    private final int n;
    private final int window;
    private final IntFunction<Object> loader;
    private final AtomicInteger maxBuffered;
    private final Object[] slots;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    private final Condition space = lock.newCondition();
    private final List<Thread> threads = new ArrayList<>();
    private int nextPos; // next position a worker claims (guarded by lock)
    private int cursor; // next position the consumer takes (guarded by lock)
    private int buffered; // filled slots (guarded by lock)
    private boolean cancelled; // guarded by lock

    /**
     * @param n number of positions
     * @param loader loads a position; never throws (failures are returned as values), never returns null
     * @param workers threads to start now; 0 loads each position in {@link #take()}
     * @param maxBuffered updated with the high-water mark of filled slots
     */
    PrefetchWindow(
            int n, int window, int workers, IntFunction<Object> loader, String threadName, AtomicInteger maxBuffered) {
        this.n = n;
        this.window = window;
        this.loader = loader;
        this.maxBuffered = maxBuffered;
        this.slots = new Object[workers == 0 ? 0 : window];
        for (int i = 0; i < workers && i < n; i++) {
            Thread t = new Thread(this::work, threadName + "-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
    }

    private void work() {
        while (true) {
            int pos;
            lock.lock();
            try {
                while (!cancelled && nextPos < n && nextPos >= cursor + window) {
                    space.awaitUninterruptibly();
                }
                if (cancelled || nextPos >= n) {
                    return;
                }
                pos = nextPos++;
            } finally {
                lock.unlock();
            }
            Object r = loader.apply(pos);
            lock.lock();
            try {
                if (cancelled) {
                    return;
                }
                slots[pos % window] = r;
                buffered++;
                maxBuffered.accumulateAndGet(buffered, Math::max);
                ready.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** True while positions remain to be taken. */
    boolean hasMore() {
        lock.lock();
        try {
            return !cancelled && cursor < n;
        } finally {
            lock.unlock();
        }
    }

    /** The result for the next position, waiting for its worker if needed. */
    Object take() {
        if (threads.isEmpty()) {
            int pos;
            lock.lock();
            try {
                pos = cursor++;
            } finally {
                lock.unlock();
            }
            return loader.apply(pos);
        }
        lock.lock();
        try {
            int s = cursor % window;
            while (slots[s] == null) {
                if (cancelled) {
                    throw new IllegalStateException("the epoch was closed");
                }
                try {
                    ready.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new DataLoader.LoaderException("interrupted while waiting for samples", e);
                }
            }
            Object r = slots[s];
            slots[s] = null;
            buffered--;
            cursor++;
            space.signalAll();
            return r;
        } finally {
            lock.unlock();
        }
    }

    /** Filled slots right now. */
    int buffered() {
        lock.lock();
        try {
            return buffered;
        } finally {
            lock.unlock();
        }
    }

    /** Number of worker threads still running. */
    int liveThreads() {
        return (int) threads.stream().filter(Thread::isAlive).count();
    }

    /** Cancels, drops buffered results, and joins every worker (each finishes the sample it is loading). */
    @Override
    public void close() {
        lock.lock();
        try {
            cancelled = true;
            Arrays.fill(slots, null);
            buffered = 0;
            space.signalAll();
            ready.signalAll();
        } finally {
            lock.unlock();
        }
        boolean interrupted = false;
        for (Thread t : threads) {
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}

package org.blip4j.server;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.bytedeco.javacpp.PointerScope;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One model's bounded queue for one task and the thread that serves it in batches: a batch starts with the oldest
 * request and takes the following ones of the same batch key (e.g. the same decoding options) up to a total weight
 * (images) of {@code maxBatch}, waiting at most {@code maxWait} for more. Requests whose deadline passed while queued
 * are answered without being computed; a failing batch is retried one request at a time, so one bad request fails
 * alone. Closing stops accepting and serves what was accepted.
 *
 * @param <I> a request's input
 * @param <O> its result
 */
final class Lane<I, O> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Lane.class);

    /** Computes the results of a batch, one per input in order. */
    @FunctionalInterface
    interface BatchFunction<I, O> {
        List<O> apply(List<I> inputs) throws Exception;
    }

    /** Receives each served batch (size, compute seconds) and each refused request. */
    interface Listener {
        void batch(int size, double seconds);

        void rejected();

        void expired();
    }

    /** A result with how it was produced: the batch it ran in, and the time spent queued and computing. */
    record Outcome<O>(O value, int batchSize, long queuedNanos, long computeNanos) {}

    /** A queued request. */
    static final class Job<I, O> {
        final I input;
        final Object key;
        final int weight;
        final long arrival = System.nanoTime();
        final long deadline;
        final CompletableFuture<Outcome<O>> result = new CompletableFuture<>();

        Job(I input, Object key, int weight, long deadline) {
            this.input = input;
            this.key = key;
            this.weight = Math.max(1, weight);
            this.deadline = deadline;
        }
    }

    private final String name;
    private final int maxBatch;
    private final long maxWaitNanos;
    private final int capacity;
    private final BatchFunction<I, O> function;
    private final Listener listener;
    private final ArrayDeque<Job<I, O>> queue = new ArrayDeque<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Thread thread;
    private boolean stopping;
    private boolean paused;
    private volatile double secondsPerItem = 0.05; // running estimate for Retry-After

    Lane(String name, int maxBatch, long maxWaitNanos, int capacity, BatchFunction<I, O> function, Listener listener) {
        this.name = name;
        this.maxBatch = maxBatch;
        this.maxWaitNanos = maxWaitNanos;
        this.capacity = capacity;
        this.function = function;
        this.listener = listener;
        this.thread = new Thread(this::loop, "blip4j-lane-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    String name() {
        return name;
    }

    int maxBatch() {
        return maxBatch;
    }

    /**
     * Queues a request; its future completes with the result, or exceptionally with the computation's error or a
     * {@link ServiceException} (deadline).
     *
     * @throws ServiceException 503 when the queue is full (with a Retry-After estimate) or the lane is closing
     */
    Job<I, O> submit(I input, Object key, int weight, long deadlineNanos) {
        Job<I, O> job = new Job<>(input, key, weight, deadlineNanos);
        lock.lock();
        try {
            if (stopping) {
                throw ServiceException.unavailable("the server is shutting down", 5);
            }
            if (queue.size() >= capacity) {
                listener.rejected();
                int wait = (int) Math.ceil(queue.size() * secondsPerItem);
                throw ServiceException.unavailable(
                        "the " + name + " queue is full (" + capacity + " requests waiting); " + "retry later",
                        Math.max(1, Math.min(60, wait)));
            }
            queue.addLast(job);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        return job;
    }

    /** Drops a request that its caller gave up on (deadline); a no-op once its batch has started. */
    void withdraw(Job<I, O> job) {
        lock.lock();
        try {
            queue.remove(job);
        } finally {
            lock.unlock();
        }
    }

    /** Requests waiting. */
    int depth() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** Holds batches back (tests: fill the queue deterministically). */
    void pause(boolean p) {
        lock.lock();
        try {
            paused = p;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void loop() {
        while (true) {
            List<Job<I, O>> batch;
            try {
                batch = nextBatch();
            } catch (InterruptedException e) {
                return;
            }
            if (batch == null) {
                return;
            }
            serve(batch);
        }
    }

    /** The next batch, or null once closing with nothing left. */
    private List<Job<I, O>> nextBatch() throws InterruptedException {
        lock.lock();
        try {
            while (paused || queue.isEmpty()) {
                if (stopping && queue.isEmpty()) {
                    return null;
                }
                changed.await();
            }
            Object key = queue.peekFirst().key;
            List<Job<I, O>> batch = new ArrayList<>();
            int weight = 0;
            long until = System.nanoTime() + maxWaitNanos;
            while (true) {
                for (Iterator<Job<I, O>> it = queue.iterator(); it.hasNext() && weight < maxBatch; ) {
                    Job<I, O> j = it.next();
                    if (!j.key.equals(key)) {
                        continue;
                    }
                    if (!batch.isEmpty() && weight + j.weight > maxBatch) {
                        break; // first come, first served: a later, lighter request does not overtake it
                    }
                    it.remove();
                    batch.add(j);
                    weight += j.weight;
                }
                long left = until - System.nanoTime();
                if (weight >= maxBatch || left <= 0 || stopping) {
                    return batch;
                }
                changed.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }

    private void serve(List<Job<I, O>> batch) {
        long now = System.nanoTime();
        List<Job<I, O>> live = new ArrayList<>();
        for (Job<I, O> j : batch) {
            if (j.result.isDone()) {
                continue; // its caller gave up
            }
            if (now - j.deadline >= 0) {
                listener.expired();
                j.result.completeExceptionally(ServiceException.deadline(name));
            } else {
                live.add(j);
            }
        }
        if (live.isEmpty()) {
            return;
        }
        long t0 = System.nanoTime();
        List<O> out;
        try (PointerScope scope = new PointerScope()) {
            out = function.apply(live.stream().map(j -> j.input).toList());
            if (out.size() != live.size()) {
                throw new IllegalStateException(name + ": " + out.size() + " results for " + live.size() + " requests");
            }
        } catch (Exception | OutOfMemoryError e) {
            if (live.size() > 1) {
                LOG.debug(
                        "{}: batch of {} failed ({}); serving its requests one at a time",
                        name,
                        live.size(),
                        e.toString());
                for (Job<I, O> j : live) {
                    serve(List.of(j));
                }
            } else {
                live.get(0).result.completeExceptionally(e);
            }
            return;
        }
        long t1 = System.nanoTime();
        int items = live.stream().mapToInt(j -> j.weight).sum();
        secondsPerItem = 0.8 * secondsPerItem + 0.2 * ((t1 - t0) / 1e9 / items);
        listener.batch(live.size(), (t1 - t0) / 1e9);
        for (int i = 0; i < live.size(); i++) {
            Job<I, O> j = live.get(i);
            j.result.complete(new Outcome<>(out.get(i), live.size(), t0 - j.arrival, t1 - t0));
        }
    }

    /** Stops accepting, serves what is queued (waiting up to {@code graceNanos}), then fails what is left. */
    void close(long graceNanos) {
        lock.lock();
        try {
            stopping = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(graceNanos)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        lock.lock();
        try {
            for (Job<I, O> j : queue) {
                j.result.completeExceptionally(
                        ServiceException.unavailable("the server shut down before this request " + "was served", 5));
            }
            queue.clear();
        } finally {
            lock.unlock();
        }
        thread.interrupt();
    }

    @Override
    public void close() {
        close(TimeUnit.SECONDS.toNanos(30));
    }
}

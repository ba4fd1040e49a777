package org.blip4j.spark;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Turns a producer that pushes items to a callback (blip4j's streaming annotation readers) into the pull iterator a
 * Spark task returns, through a small bounded queue filled by a daemon thread, so a file of any size streams through.
 */
final class PushIterator<T> implements Iterator<T>, AutoCloseable {
    /** Pushes every item to the sink, in order. */
    @FunctionalInterface
    interface Producer<T> {
        void run(Consumer<T> sink) throws Exception;
    }

    private static final Object END = new Object();

    private record Failure(Throwable error) {}

    private static final class Cancelled extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    private final BlockingQueue<Object> queue;
    private final Thread thread;
    private volatile boolean cancelled;
    private Object next;

    PushIterator(Producer<T> producer, int capacity, String name) {
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.thread = new Thread(
                () -> {
                    try {
                        producer.run(this::put);
                        put(END);
                    } catch (Cancelled e) {
                        // the consumer went away
                    } catch (Throwable t) {
                        try {
                            put(new Failure(t));
                        } catch (Cancelled e) {
                            // the consumer went away
                        }
                    }
                },
                name);
        thread.setDaemon(true);
        thread.start();
    }

    private void put(Object item) {
        try {
            while (!cancelled) {
                if (queue.offer(item, 100, TimeUnit.MILLISECONDS)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new Cancelled();
    }

    @Override
    public boolean hasNext() {
        if (next == null) {
            try {
                next = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while reading the input", e);
            }
            if (next instanceof Failure f) {
                next = END;
                throw Errors.sneaky(f.error());
            }
        }
        return next != END;
    }

    @Override
    @SuppressWarnings("unchecked")
    public T next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        T t = (T) next;
        next = null;
        return t;
    }

    /** Stops the producer (when the task ends early). */
    @Override
    public void close() {
        cancelled = true;
        thread.interrupt();
    }
}

package org.blip4j.spark;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.bytedeco.javacpp.PointerScope;

/**
 * The output rows of a partition, computed a batch of inputs at a time: the inputs are pulled lazily, each batch runs
 * in its own native-memory scope, and only one batch's outputs are held at once.
 */
final class Batches<I, O> implements Iterator<O> {
    /** Computes the output rows of one batch. */
    @FunctionalInterface
    interface Step<I, O> {
        List<O> apply(List<I> batch) throws Exception;
    }

    /**
     * Test hook: set this system property (in the JVM that runs the tasks, i.e. local mode) to a job name and that job's
     * partition 0 fails once, on its first attempt, after its first batch has been emitted.
     */
    static final String FAIL_FIRST_ATTEMPT = "blip4j.spark.failFirstAttempt";

    private final Iterator<I> input;
    private final int size;
    private final Step<I, O> step;
    private final String job;
    private final ArrayDeque<O> ready = new ArrayDeque<>();
    private int batches;

    Batches(Iterator<I> input, int size, String job, Step<I, O> step) {
        this.input = input;
        this.size = size;
        this.job = job;
        this.step = step;
    }

    @Override
    public boolean hasNext() {
        while (ready.isEmpty() && input.hasNext()) {
            injectFailure();
            List<I> batch = new ArrayList<>(size);
            while (batch.size() < size && input.hasNext()) {
                batch.add(input.next());
            }
            try (PointerScope scope = new PointerScope()) {
                ready.addAll(step.apply(batch));
            } catch (Exception e) {
                throw Errors.sneaky(e);
            }
            batches++;
        }
        if (ready.isEmpty()) {
            injectFailure();
        }
        return !ready.isEmpty();
    }

    @Override
    public O next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return ready.poll();
    }

    private void injectFailure() {
        if (batches == 0 || !job.equals(System.getProperty(FAIL_FIRST_ATTEMPT))) {
            return;
        }
        TaskContext tc = TaskContext.get();
        if (tc != null && tc.partitionId() == 0 && tc.attemptNumber() == 0) {
            throw new IllegalStateException("injected failure (" + FAIL_FIRST_ATTEMPT + "=" + job + "): partition 0, "
                    + "attempt 0, after " + batches + " batch(es)");
        }
    }
}

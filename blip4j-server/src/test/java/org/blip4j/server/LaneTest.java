package org.blip4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The batcher alone, with a fake batch function that records the batches it is given. */
class LaneTest {
    private static final long LATER = TimeUnit.MINUTES.toNanos(5);

    /** Records batches; doubles each input; fails a batch containing a negative number. */
    static final class Recorder implements Lane.BatchFunction<Integer, Integer> {
        final List<List<Integer>> batches = Collections.synchronizedList(new ArrayList<>());

        @Override
        public List<Integer> apply(List<Integer> in) {
            batches.add(List.copyOf(in));
            if (in.stream().anyMatch(i -> i < 0)) {
                throw new IllegalArgumentException("negative input " + in);
            }
            return in.stream().map(i -> 2 * i).toList();
        }
    }

    static final class Counts implements Lane.Listener {
        final AtomicInteger rejected = new AtomicInteger();
        final AtomicInteger expired = new AtomicInteger();
        final List<Integer> sizes = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void batch(int size, double seconds) {
            sizes.add(size);
        }

        @Override
        public void rejected() {
            rejected.incrementAndGet();
        }

        @Override
        public void expired() {
            expired.incrementAndGet();
        }
    }

    private static Lane<Integer, Integer> lane(Recorder f, Counts c, int maxBatch, long waitMs, int capacity) {
        return new Lane<>("test", maxBatch, TimeUnit.MILLISECONDS.toNanos(waitMs), capacity, f, c);
    }

    private static long deadline() {
        return System.nanoTime() + LATER;
    }

    @Test
    void gathersRequestsWithTheSameKeyUpToTheBatchSize() throws Exception {
        Recorder f = new Recorder();
        Counts c = new Counts();
        Lane<Integer, Integer> lane = lane(f, c, 4, 0, 100);
        lane.pause(true);
        List<Lane.Job<Integer, Integer>> jobs = new ArrayList<>();
        for (int i = 1; i <= 7; i++) {
            jobs.add(lane.submit(i, i % 3 == 0 ? "b" : "a", 1, deadline()));
        }
        assertEquals(7, lane.depth());
        lane.pause(false);
        for (int i = 0; i < jobs.size(); i++) {
            Lane.Outcome<Integer> o = jobs.get(i).result.get(10, TimeUnit.SECONDS);
            assertEquals(2 * (i + 1), o.value());
        }
        // oldest first; a batch takes the head's key: a = 1,2,4,5,7  b = 3,6
        assertEquals(List.of(List.of(1, 2, 4, 5), List.of(3, 6), List.of(7)), f.batches);
        assertEquals(4, jobs.get(0).result.get().batchSize());
        assertEquals(List.of(4, 2, 1), c.sizes);
        lane.close();
    }

    @Test
    void weightsCountImages() throws Exception {
        Recorder f = new Recorder();
        Lane<Integer, Integer> lane = lane(f, new Counts(), 4, 0, 100);
        lane.pause(true);
        var a = lane.submit(1, "k", 3, deadline());
        var b = lane.submit(2, "k", 3, deadline()); // 3 + 3 > 4: next batch
        var c = lane.submit(3, "k", 1, deadline()); // does not overtake b
        lane.pause(false);
        c.result.get(10, TimeUnit.SECONDS);
        a.result.get();
        b.result.get();
        assertEquals(List.of(List.of(1), List.of(2, 3)), f.batches);
        lane.close();
    }

    @Test
    void aBatchWaitsBoundedlyForCompany() throws Exception {
        Recorder f = new Recorder();
        Lane<Integer, Integer> lane = lane(f, new Counts(), 8, 300, 100);
        long t0 = System.nanoTime();
        var a = lane.submit(1, "k", 1, deadline());
        Thread.sleep(50);
        var b = lane.submit(2, "k", 1, deadline()); // arrives within the wait: same batch
        a.result.get(10, TimeUnit.SECONDS);
        b.result.get(10, TimeUnit.SECONDS);
        assertEquals(List.of(List.of(1, 2)), f.batches);
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(300), "the batch waited its 300 ms");
        lane.close();
    }

    @Test
    void aFullQueueRefusesWithRetryAfter() throws Exception {
        Recorder f = new Recorder();
        Counts c = new Counts();
        Lane<Integer, Integer> lane = lane(f, c, 1, 0, 2);
        lane.pause(true);
        var a = lane.submit(1, "k", 1, deadline());
        var b = lane.submit(2, "k", 1, deadline());
        ServiceException e = assertThrows(ServiceException.class, () -> lane.submit(3, "k", 1, deadline()));
        assertEquals(503, e.status());
        assertTrue(e.retryAfterSeconds() >= 1 && e.retryAfterSeconds() <= 60, "" + e.retryAfterSeconds());
        assertTrue(e.getMessage().contains("queue is full"), e.getMessage());
        assertEquals(1, c.rejected.get());
        lane.pause(false);
        assertEquals(2, a.result.get(10, TimeUnit.SECONDS).value());
        assertEquals(4, b.result.get(10, TimeUnit.SECONDS).value());
        lane.close();
    }

    @Test
    void expiredRequestsAreNotComputed() throws Exception {
        Recorder f = new Recorder();
        Counts c = new Counts();
        Lane<Integer, Integer> lane = lane(f, c, 4, 0, 10);
        lane.pause(true);
        var late = lane.submit(1, "k", 1, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20));
        var fine = lane.submit(2, "k", 1, deadline());
        Thread.sleep(60);
        lane.pause(false);
        ExecutionException e = assertThrows(ExecutionException.class, () -> late.result.get(10, TimeUnit.SECONDS));
        assertEquals(504, ((ServiceException) e.getCause()).status());
        assertEquals(4, fine.result.get(10, TimeUnit.SECONDS).value());
        assertEquals(List.of(List.of(2)), f.batches);
        assertEquals(1, c.expired.get());
        lane.close();
    }

    @Test
    void aFailingBatchIsRetriedOneByOneSoOnlyTheBadRequestFails() throws Exception {
        Recorder f = new Recorder();
        Lane<Integer, Integer> lane = lane(f, new Counts(), 4, 0, 10);
        lane.pause(true);
        var a = lane.submit(1, "k", 1, deadline());
        var bad = lane.submit(-1, "k", 1, deadline());
        var c = lane.submit(3, "k", 1, deadline());
        lane.pause(false);
        assertEquals(2, a.result.get(10, TimeUnit.SECONDS).value());
        assertEquals(6, c.result.get(10, TimeUnit.SECONDS).value());
        ExecutionException e = assertThrows(ExecutionException.class, () -> bad.result.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof IllegalArgumentException);
        assertEquals(List.of(List.of(1, -1, 3), List.of(1), List.of(-1), List.of(3)), f.batches);
        assertEquals(1, a.result.get().batchSize());
        lane.close();
    }

    @Test
    void closingServesWhatWasAcceptedAndRefusesTheRest() throws Exception {
        Recorder f = new Recorder();
        Lane<Integer, Integer> lane = lane(f, new Counts(), 2, 0, 10);
        lane.pause(true);
        List<Lane.Job<Integer, Integer>> jobs = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            jobs.add(lane.submit(i, "k", 1, deadline()));
        }
        lane.pause(false);
        lane.close(TimeUnit.SECONDS.toNanos(30));
        for (int i = 0; i < 5; i++) {
            assertEquals(2 * (i + 1), jobs.get(i).result.getNow(null).value());
        }
        ServiceException e = assertThrows(ServiceException.class, () -> lane.submit(9, "k", 1, deadline()));
        assertEquals(503, e.status());
    }

    @Test
    void aWithdrawnRequestLeavesTheQueue() throws Exception {
        Recorder f = new Recorder();
        Lane<Integer, Integer> lane = lane(f, new Counts(), 4, 0, 10);
        lane.pause(true);
        var a = lane.submit(1, "k", 1, deadline());
        var b = lane.submit(2, "k", 1, deadline());
        lane.withdraw(a);
        a.result.cancel(false);
        assertEquals(1, lane.depth());
        lane.pause(false);
        b.result.get(10, TimeUnit.SECONDS);
        assertEquals(List.of(List.of(2)), f.batches);
        lane.close();
    }
}

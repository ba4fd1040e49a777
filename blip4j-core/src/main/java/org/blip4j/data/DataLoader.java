package org.blip4j.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.blip4j.image.ImageDecodeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Batches a {@link Dataset} with worker threads decoding and transforming ahead of the consumer; the counterpart of
 * {@code torch.utils.data.DataLoader(dataset, batch_size, shuffle, num_workers, drop_last, collate_fn)} as BLIP's
 * {@code create_loader} builds it, with {@code sampler.set_epoch(epoch)} reshuffling.
 *
 * <p>Determinism: epoch e visits the indices in {@link #order(int)} (a Fisher-Yates shuffle seeded from seed and e,
 * or 0..n-1 unshuffled), each sample gets its own {@link SplittableRandom} seeded from (seed, e, index) (see
 * {@link Seeds}), and batches are assembled strictly in visiting order; so batches are identical for any number of
 * workers. In a data-parallel job each rank visits its shard of that order ({@link DistributedSampler}, set with
 * {@link Builder#shard} or {@link #sharded}). Samples whose image
 * is missing or undecodable ({@link IOException}) are skipped: logged once per file at WARN, counted in
 * {@link #skipped()}, and the batch is filled from the following samples. Any other exception from the dataset
 * aborts the epoch with a {@link LoaderException}. Memory is bounded: workers only load positions within
 * {@code prefetchBatches * batchSize} of the consumer, so at most that many decoded samples wait at any time.
 *
 * <p>One epoch runs at a time; starting one closes the previous. Close the loader (or the epoch) to stop its threads.
 *
 * @param <T> the batch type the collate function builds (usually {@link Batch})
 */
public final class DataLoader<T> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DataLoader.class);

    private final Dataset<?> dataset;
    private final Function<List<Object>, T> collate;
    private final int batchSize;
    private final boolean shuffle;
    private final boolean dropLast;
    private final long seed;
    private final int workers;
    private final int prefetchBatches;
    private final DistributedSampler sampler;
    private final AtomicLong skipped = new AtomicLong();
    private final AtomicInteger maxBuffered = new AtomicInteger();
    private final Set<String> warned = ConcurrentHashMap.newKeySet();
    private Epoch current;
    private boolean closed;

    /** Thrown when a sample fails with something other than an I/O or decode error, or the wait is interrupted. */
    public static final class LoaderException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        LoaderException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Options; defaults: batch 1, no shuffle, keep the last partial batch, seed 0, one worker per core, prefetch 2. */
    public static final class Builder<S, T> {
        private final Dataset<S> dataset;
        private final Function<List<S>, T> collate;
        private int batchSize = 1;
        private boolean shuffle;
        private boolean dropLast;
        private long seed;
        private int workers = Runtime.getRuntime().availableProcessors();
        private int prefetchBatches = 2;
        private int rank;
        private int replicas = 1;

        private Builder(Dataset<S> dataset, Function<List<S>, T> collate) {
            this.dataset = dataset;
            this.collate = collate;
        }

        public Builder<S, T> batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** Reshuffle every epoch (BLIP shuffles training sets, not evaluation sets). */
        public Builder<S, T> shuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /** Drop a last batch smaller than the batch size (BLIP: true for training). */
        public Builder<S, T> dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /** Seeds the shuffles and every sample's augmentation. */
        public Builder<S, T> seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Worker threads; 0 loads in the consumer's thread. */
        public Builder<S, T> workers(int workers) {
            this.workers = workers;
            return this;
        }

        /** How many batches' worth of decoded samples may wait for the consumer (at least 1). */
        public Builder<S, T> prefetchBatches(int prefetchBatches) {
            this.prefetchBatches = prefetchBatches;
            return this;
        }

        /**
         * Visit only rank {@code rank}'s shard of each epoch's order among {@code replicas} ranks
         * ({@link DistributedSampler}: padded by repetition to a multiple of {@code replicas}, every replicas-th index).
         */
        public Builder<S, T> shard(int rank, int replicas) {
            this.rank = rank;
            this.replicas = replicas;
            return this;
        }

        public DataLoader<T> build() {
            return new DataLoader<>(this);
        }
    }

    @SuppressWarnings("unchecked")
    private <S> DataLoader(Builder<S, T> b) {
        if (b.batchSize < 1 || b.workers < 0 || b.prefetchBatches < 1) {
            throw new IllegalArgumentException("need batchSize >= 1, workers >= 0, prefetchBatches >= 1; got "
                    + b.batchSize + ", " + b.workers + ", " + b.prefetchBatches);
        }
        this.dataset = b.dataset;
        this.collate = list -> b.collate.apply((List<S>) list);
        this.batchSize = b.batchSize;
        this.shuffle = b.shuffle;
        this.dropLast = b.dropLast;
        this.seed = b.seed;
        this.workers = b.workers;
        this.prefetchBatches = b.prefetchBatches;
        this.sampler = new DistributedSampler(b.replicas, b.rank, b.shuffle, b.seed);
        capacity(); // fails now, not at the first epoch, if prefetchBatches * batchSize overflows
    }

    private DataLoader(DataLoader<T> o, DistributedSampler sampler) {
        this.dataset = o.dataset;
        this.collate = o.collate;
        this.batchSize = o.batchSize;
        this.shuffle = o.shuffle;
        this.dropLast = o.dropLast;
        this.seed = o.seed;
        this.workers = o.workers;
        this.prefetchBatches = o.prefetchBatches;
        this.sampler = sampler;
    }

    /**
     * The same loader restricted to rank {@code rank}'s shard among {@code replicas} ranks (see {@link Builder#shard});
     * with one replica, this loader itself.
     */
    public DataLoader<T> sharded(int rank, int replicas) {
        return replicas == 1 && sampler.numReplicas() == 1
                ? this
                : new DataLoader<>(this, new DistributedSampler(replicas, rank, shuffle, seed));
    }

    /** Starts building a loader over {@code dataset} whose batches {@code collate} builds (see {@link Collate}). */
    public static <S, T> Builder<S, T> builder(Dataset<S> dataset, Function<List<S>, T> collate) {
        return new Builder<>(dataset, collate);
    }

    /** Starts epoch {@code epoch} (closing any running one): iterate it, then close it or the loader. */
    public synchronized Epoch epoch(int epoch) {
        if (closed) {
            throw new IllegalStateException("the loader is closed");
        }
        if (current != null) {
            current.close();
        }
        current = new Epoch(epoch);
        return current;
    }

    /**
     * The order in which epoch {@code epoch} visits dataset indices ({@link Seeds#order}; this rank's shard of it in a
     * data-parallel job).
     */
    public int[] order(int epoch) {
        return sampler.indices(dataset.size(), epoch);
    }

    /** Batches per epoch when nothing is skipped. */
    public int batchesPerEpoch() {
        int n = sampler.numSamples(dataset.size());
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /** Samples skipped so far (all epochs) because their image was missing or undecodable. */
    public long skipped() {
        return skipped.get();
    }

    /** The most decoded samples ever waiting for the consumer; never above {@link #capacity()}. */
    public int maxBuffered() {
        return maxBuffered.get();
    }

    /** {@code prefetchBatches * batchSize}: the bound on waiting samples. */
    public int capacity() {
        return Math.multiplyExact(prefetchBatches, batchSize);
    }

    public int batchSize() {
        return batchSize;
    }

    public int workers() {
        return workers;
    }

    /** Stops the running epoch's threads and waits for them; idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        if (current != null) {
            current.close();
            current = null;
        }
    }

    private record Failure(int index, Throwable error, boolean fatal) {}

    private Object loadOne(int index, int epoch) {
        try {
            Object s = dataset.load(index, new SplittableRandom(Seeds.sample(seed, epoch, index)));
            return s != null ? s : new Failure(index, new NullPointerException("the dataset returned null"), true);
        } catch (IOException e) {
            return new Failure(index, e, false);
        } catch (RuntimeException | Error e) {
            return new Failure(index, e, true);
        }
    }

    private void skip(Failure f) {
        skipped.incrementAndGet();
        String source = f.error() instanceof ImageDecodeException d ? d.source() : dataset.source(f.index());
        if (warned.add(source)) {
            LOG.warn("skipping sample {} ({}): {}", f.index(), source, f.error().getMessage());
        }
    }

    /**
     * One pass over the data: an iterator (and single-use iterable) of batches whose worker threads run from creation
     * until the last batch has been taken or {@link #close()}. Iterate from one thread.
     */
    public final class Epoch implements Iterator<T>, Iterable<T>, AutoCloseable {
        private final int epoch;
        private final int[] order;
        private final PrefetchWindow window;
        private long epochSkipped;
        private T next;
        private boolean finished;

        private Epoch(int epoch) {
            this.epoch = epoch;
            this.order = order(epoch);
            this.window = new PrefetchWindow(
                    order.length,
                    capacity(),
                    workers,
                    pos -> loadOne(order[pos], epoch),
                    "blip4j-data-e" + epoch,
                    maxBuffered);
        }

        @SuppressWarnings("unchecked")
        private T assemble() {
            List<Object> items = new ArrayList<>(batchSize);
            while (items.size() < batchSize && window.hasMore()) {
                Object r = window.take();
                if (r instanceof Failure f) {
                    if (f.fatal()) {
                        close();
                        throw new LoaderException(
                                "sample " + f.index() + " (" + dataset.source(f.index()) + ") failed: " + f.error(),
                                f.error());
                    }
                    epochSkipped++;
                    skip(f);
                } else {
                    items.add(r);
                }
            }
            if (items.isEmpty() || (dropLast && items.size() < batchSize)) {
                return null;
            }
            return collate.apply(items);
        }

        @Override
        public boolean hasNext() {
            if (next == null && !finished) {
                next = assemble();
                if (next == null) {
                    close();
                }
            }
            return next != null;
        }

        @Override
        public T next() {
            if (!hasNext()) {
                throw new NoSuchElementException("epoch " + epoch + " has no more batches");
            }
            T b = next;
            next = null;
            return b;
        }

        @Override
        public Iterator<T> iterator() {
            return this;
        }

        /** The epoch number. */
        public int number() {
            return epoch;
        }

        /** Samples skipped in this epoch so far. */
        public long skipped() {
            return epochSkipped;
        }

        /** Decoded samples waiting right now (at most {@link DataLoader#capacity()}). */
        public int buffered() {
            return window.buffered();
        }

        /** Worker threads of this epoch still alive (0 after {@link #close()}). */
        public int liveWorkers() {
            return window.liveThreads();
        }

        /** Stops and joins the worker threads; {@link #hasNext()} is false afterwards. Idempotent. */
        @Override
        public void close() {
            finished = true;
            next = null;
            window.close();
        }
    }
}

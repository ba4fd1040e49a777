package org.blip4j.data;

/**
 * Which dataset indices one rank visits in an epoch, as {@code torch.utils.data.DistributedSampler} (what BLIP's
 * {@code create_sampler} builds, with {@code drop_last=False}): the epoch's order over the whole dataset (the same on
 * every rank: {@link Seeds#order}, shuffled from (seed, epoch) — the counterpart of {@code set_epoch}), padded by
 * repeating its beginning until its length is divisible by the number of ranks, then every
 * {@code numReplicas}-th index starting at {@code rank}. Every rank gets {@code ceil(n / numReplicas)} indices; the
 * ranks together visit every index at least once per epoch.
 *
 * <p>With one replica this is exactly the single-process order.
 */
public record DistributedSampler(int numReplicas, int rank, boolean shuffle, long seed) {
    public DistributedSampler {
        if (numReplicas < 1 || rank < 0 || rank >= numReplicas) {
            throw new IllegalArgumentException("need 0 <= rank < numReplicas, got rank " + rank + " of " + numReplicas);
        }
    }

    /** {@code ceil(n / numReplicas)}: how many indices each rank visits per epoch. */
    public int numSamples(int n) {
        return (n + numReplicas - 1) / numReplicas;
    }

    /** This rank's indices for epoch {@code epoch} of a dataset of {@code n} samples. */
    public int[] indices(int n, int epoch) {
        int[] order = Seeds.order(n, shuffle, seed, epoch);
        int per = numSamples(n);
        int[] mine = new int[n == 0 ? 0 : per];
        for (int i = 0; i < mine.length; i++) {
            int position = i * numReplicas + rank; // torch: indices[rank:total_size:num_replicas]
            mine[i] = order[position % n]; // padding repeats the order from its start (cycling when n < numReplicas)
        }
        return mine;
    }
}

package org.blip4j.data;

import java.util.SplittableRandom;

/**
 * The loader's seeding scheme, the counterpart of torch's {@code DistributedSampler.set_epoch} shuffle seed and of
 * the per-worker numpy/random seeds, but keyed by sample index instead of worker id so results do not depend on
 * scheduling: SplitMix64 mixing of (seed, epoch) for the epoch order and of (seed, epoch, index) for each sample.
 */
public final class Seeds {
    private Seeds() {}

    /** The seed of sample {@code index}'s random source in epoch {@code epoch}. */
    public static long sample(long seed, int epoch, int index) {
        return mix(mix(mix(seed) + epoch) + index);
    }

    /** Epoch {@code epoch}'s visiting order of {@code n} indices: a Fisher-Yates shuffle, or 0..n-1 unshuffled. */
    public static int[] order(int n, boolean shuffle, long seed, int epoch) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        if (shuffle) {
            SplittableRandom rng = new SplittableRandom(mix(mix(seed ^ 0x5DEECE66DL) + epoch));
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        return order;
    }

    private static long mix(long z) { // SplitMix64's finaliser
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}

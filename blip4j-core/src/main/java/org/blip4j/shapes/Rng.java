package org.blip4j.shapes;

import java.util.List;

/**
 * A small, fully specified SplitMix64 generator, so that the shapes world does not depend on how a JDK implements
 * {@code Random} or {@code SplittableRandom}'s bounded draws.
 */
final class Rng {
    private long state;

    Rng(long seed) {
        this.state = seed;
    }

    /** The generator for one item: a pure function of the run's seed, a stream number and the item's index. */
    static Rng of(long seed, int stream, long index) {
        long s = mix(seed ^ 0x5DEECE66DL);
        s = mix(s + 0x9E3779B97F4A7C15L * (stream + 1));
        s = mix(s + 0xC2B2AE3D27D4EB4FL * (index + 1));
        return new Rng(s);
    }

    /** SplitMix64's finaliser (Stafford's variant 13). */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    long nextLong() {
        state += 0x9E3779B97F4A7C15L;
        return mix(state);
    }

    /** Uniform in [0, bound) without modulo bias. */
    int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        long limit = (1L << 62) - ((1L << 62) % bound);
        while (true) {
            long r = nextLong() >>> 2;
            if (r < limit) {
                return (int) (r % bound);
            }
        }
    }

    /** Uniform in [lo, hi] inclusive. */
    int nextInt(int lo, int hi) {
        return lo + nextInt(hi - lo + 1);
    }

    /** Uniform in [0, 1). */
    double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    double uniform(double lo, double hi) {
        return lo + (hi - lo) * nextDouble();
    }

    boolean chance(double p) {
        return nextDouble() < p;
    }

    <T> T pick(List<T> items) {
        return items.get(nextInt(items.size()));
    }

    <T> T pick(T[] items) {
        return items[nextInt(items.length)];
    }

    /** Index drawn with the given non-negative weights. */
    int weighted(double... weights) {
        double total = 0;
        for (double w : weights) {
            total += w;
        }
        double r = nextDouble() * total;
        for (int i = 0; i < weights.length; i++) {
            r -= weights[i];
            if (r < 0) {
                return i;
            }
        }
        return weights.length - 1;
    }

    /** Fisher-Yates shuffle in place. */
    <T> void shuffle(List<T> items) {
        for (int i = items.size() - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            T t = items.get(i);
            items.set(i, items.get(j));
            items.set(j, t);
        }
    }

    void shuffle(int[] items) {
        for (int i = items.length - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = items[i];
            items[i] = items[j];
            items[j] = t;
        }
    }
}

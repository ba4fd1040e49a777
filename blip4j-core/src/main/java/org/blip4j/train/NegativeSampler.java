package org.blip4j.train;

import java.util.SplittableRandom;

/**
 * Draws one ITM hard negative from a row of (unnormalised) weights, as {@code torch.multinomial(row, 1)}. Injectable
 * so tests can replay the reference's recorded draws.
 */
@FunctionalInterface
public interface NegativeSampler {
    int draw(float[] weights);

    /** Proportional sampling with a seeded RNG. */
    static NegativeSampler seeded(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        return w -> {
            double sum = 0;
            for (float x : w) {
                sum += x;
            }
            if (!(sum > 0)) {
                throw new IllegalArgumentException("negative sampling weights sum to " + sum);
            }
            double u = rng.nextDouble() * sum;
            int last = -1;
            for (int i = 0; i < w.length; i++) {
                if (w[i] > 0) {
                    last = i;
                    u -= w[i];
                    if (u < 0) {
                        return i;
                    }
                }
            }
            return last;
        };
    }

    /** Returns the given indices in order (replaying recorded draws). */
    static NegativeSampler replay(long... draws) {
        int[] next = {0};
        return w -> {
            if (next[0] >= draws.length) {
                throw new IllegalStateException("replay sampler ran out of draws after " + draws.length);
            }
            return (int) draws[next[0]++];
        };
    }
}

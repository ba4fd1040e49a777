package org.blip4j.generate;

import java.util.SplittableRandom;

/**
 * Picks the next token from one row of processed scores (llama3.java's {@code Sampler}): {@link #ARGMAX} (greedy and
 * beam search), or {@link NucleusSampler}.
 */
@FunctionalInterface
public interface Sampler {
    /** Greedy: the largest score, the first on ties (as torch.argmax). */
    Sampler ARGMAX = (scores, rng) -> Processors.argmax(scores);

    /** The next token id; may change {@code scores} in place (warpers); {@code rng} is this row's random source. */
    int next(float[] scores, SplittableRandom rng);

    /** Whether {@link #next} draws at random (and so uses a seed). */
    default boolean random() {
        return false;
    }
}

package org.blip4j.generate;

import java.util.SplittableRandom;

/**
 * Sampling as transformers 4.15 with BLIP's settings ({@code BLIP_Decoder.generate(sample=True)}): the warpers
 * temperature, top-k and top-p in that order, then a draw from the softmax.
 *
 * @param topP nucleus mass (1 = off)
 * @param topK top-k filter (HF's config default 50 is active in BLIP's sampling; 0 = off)
 * @param temperature sampling temperature (1 = off)
 */
public record NucleusSampler(double topP, int topK, double temperature) implements Sampler {
    public NucleusSampler {
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
        if (topK < 0 || !(temperature > 0)) {
            throw new IllegalArgumentException("topK must be >= 0, temperature > 0");
        }
    }

    @Override
    public int next(float[] scores, SplittableRandom rng) {
        Processors.temperature(scores, (float) temperature);
        Processors.topK(scores, topK);
        Processors.topP(scores, topP);
        return draw(scores, rng);
    }

    @Override
    public boolean random() {
        return true;
    }

    /** Draws from softmax(scores) with a seeded Java RNG (torch's CPU RNG stream cannot be reproduced). */
    static int draw(float[] s, SplittableRandom rng) {
        int best = Processors.argmax(s);
        double max = s[best];
        double sum = 0;
        double[] p = new double[s.length];
        for (int i = 0; i < s.length; i++) {
            p[i] = s[i] == Float.NEGATIVE_INFINITY ? 0 : Math.exp(s[i] - max);
            sum += p[i];
        }
        double u = rng.nextDouble() * sum;
        for (int i = 0; i < s.length; i++) {
            u -= p[i];
            if (u < 0 && p[i] > 0) {
                return i;
            }
        }
        return best;
    }
}

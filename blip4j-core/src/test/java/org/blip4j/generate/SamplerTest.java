package org.blip4j.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Samplers and processors on 4-element logits with hand-derivable outcomes. */
class SamplerTest {
    @Test
    void argmaxTakesTheFirstLargest() {
        assertEquals(1, Sampler.ARGMAX.next(new float[] {0f, 3f, 3f, -1f}, null));
        assertFalse(Sampler.ARGMAX.random());
    }

    @Test
    void nucleusKeepsOnlyTheMassItNeeds() {
        // softmax(ln 0.7, ln 0.2, ln 0.05, ln 0.05) = (0.7, 0.2, 0.05, 0.05): top_p 0.6 keeps token 0 alone
        float[] logits = {(float) Math.log(0.7), (float) Math.log(0.2), (float) Math.log(0.05), (float) Math.log(0.05)};
        var rng = new SplittableRandom(7);
        for (int i = 0; i < 50; i++) {
            assertEquals(0, new NucleusSampler(0.6, 0, 1.0).next(logits.clone(), rng));
        }
        // top_p 0.8 keeps tokens 0 and 1 (the crossing token stays); their shares are 0.7 : 0.2
        int[] counts = new int[4];
        for (int i = 0; i < 9000; i++) {
            counts[new NucleusSampler(0.8, 0, 1.0).next(logits.clone(), rng)]++;
        }
        assertEquals(0, counts[2] + counts[3]);
        assertEquals(7000, counts[0], 200); // 9000 · 0.7 / 0.9
        assertEquals(0, new NucleusSampler(1.0, 1, 1.0).next(logits.clone(), rng)); // top_k 1 is greedy
        assertThrows(IllegalArgumentException.class, () -> new NucleusSampler(0, 0, 1.0));
    }

    @Test
    void processorsPenaliseRepeatsAndEarlyEos() {
        float[] s = {2f, -2f, 1f, 0.5f};
        new LogitsProcessor.RepetitionPenalty(2f).process(s, new long[] {0, 1, 0}, 2);
        assertEquals(1f, s[0]); // positive: divided
        assertEquals(-4f, s[1]); // negative: multiplied
        assertEquals(1f, s[2]); // not in the first 2 tokens
        new LogitsProcessor.MinLength(5, 3).process(s, new long[0], 4);
        assertEquals(Float.NEGATIVE_INFINITY, s[3]);
    }

    @Test
    void lengthsInOnePlace() {
        assertEquals(30, Lengths.of(30, 10).effectiveMax(4));
        assertEquals(7, new Lengths(30, 10, 3).effectiveMax(4));
        assertThrows(IllegalArgumentException.class, () -> Lengths.of(5, 6));
        var g = GenerationConfig.nucleus(0.9, 30, 10, 1);
        assertTrue(g.sample());
        assertEquals(50, g.topK());
        assertEquals(1.1, g.repetitionPenalty());
        assertThrows(IllegalArgumentException.class, () -> g.withNumReturnSequences(0));
        assertThrows(
                IllegalArgumentException.class,
                () -> new GenerationConfig(Lengths.of(30, 10), 3, g.sampler(), 1, 1, false, 0, 1, 0));
    }
}

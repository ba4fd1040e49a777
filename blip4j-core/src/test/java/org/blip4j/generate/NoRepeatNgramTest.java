package org.blip4j.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.blip4j.engine.T;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Hugging Face's {@code no_repeat_ngram_size}: the tokens that would complete an n-gram already in the sequence are
 * banned, prompt included; greedy and beam search then never repeat one.
 */
class NoRepeatNgramTest {
    private static final int V = 6; // tokens 1..4 cycle, 5 = eos, 0 = pad
    private static final int EOS = 5;

    /** Banned tokens of one row: the scores set to -inf. */
    private static Set<Integer> banned(long[] seq, int n) {
        float[] scores = new float[V];
        Processors.noRepeatNgram(scores, seq, seq.length, n);
        Set<Integer> out = new HashSet<>();
        for (int t = 0; t < V; t++) {
            if (scores[t] == Float.NEGATIVE_INFINITY) {
                out.add(t);
            }
        }
        return out;
    }

    @Test
    void bansWhatFollowedEarlierOccurrencesOfTheLastNMinusOneTokens() {
        long[] seq = {5, 1, 2, 3, 1, 2};
        assertEquals(Set.of(3), banned(seq, 3)); // (1, 2) was followed by 3
        assertEquals(Set.of(3), banned(seq, 2)); // 2 was followed by 3
        assertEquals(Set.of(1, 2, 3, 5), banned(seq, 1)); // every token seen
        assertEquals(Set.of(), banned(seq, 4)); // (3, 1, 2) never occurred before
        assertEquals(Set.of(), banned(new long[] {1, 2}, 4)); // shorter than n - 1: nothing yet
        assertEquals(Set.of(), banned(seq, 0)); // off
        assertEquals(Set.of(2, 4), banned(new long[] {1, 2, 1, 4, 1}, 2)); // every continuation of 1
    }

    /** Scores the token after the fed one highest, the one after that next: left alone it cycles 1, 2, 3, 4, 1, … */
    private static final DecoderStep CYCLE = new DecoderStep() {
        @Override
        public Tensor next(Tensor newIds) {
            long[] shape = T.shape(newIds);
            long[] ids = T.toLongs(newIds);
            int rows = (int) shape[0];
            int len = (int) shape[1];
            float[] logits = new float[rows * V];
            for (int r = 0; r < rows; r++) {
                int last = (int) ids[r * len + len - 1];
                for (int t = 0; t < V; t++) {
                    logits[r * V + t] = 1f;
                }
                logits[r * V + EOS] = -10f;
                logits[r * V] = -10f;
                logits[r * V + last % 4 + 1] = 5f;
                logits[r * V + (last + 1) % 4 + 1] = 4f;
            }
            return T.floats(logits, rows, V);
        }

        @Override
        public void reorder(Tensor rows) {} // the logits depend on the fed token only
    };

    private static boolean repeats(long[] seq, int n) {
        Set<List<Long>> seen = new HashSet<>();
        for (int i = 0; i + n <= seq.length; i++) {
            List<Long> g =
                    Arrays.stream(Arrays.copyOfRange(seq, i, i + n)).boxed().toList();
            if (!seen.add(g)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void greedyAndBeamSearchNeverRepeatAnNgramWithTheBan() {
        try (PointerScope scope = new PointerScope()) {
            long[][] prompt = {{1}};
            for (int beams : new int[] {1, 3}) {
                GenerationConfig plain = GenerationConfig.beam(beams, 12, 12);
                long[] free = Generator.generate(CYCLE, prompt, plain, EOS, 0, null)[0];
                assertEquals(
                        List.of(1L, 2L, 3L, 4L, 1L, 2L),
                        Arrays.stream(free, 0, 6).boxed().toList());
                assertTrue(repeats(free, 3), Arrays.toString(free));
                for (int n : new int[] {2, 3}) {
                    long[] out = Generator.generate(CYCLE, prompt, plain.withNoRepeatNgramSize(n), EOS, 0, null)[0];
                    assertEquals(12, out.length, Arrays.toString(out));
                    assertFalse(repeats(out, n), "beams " + beams + ", n " + n + ": " + Arrays.toString(out));
                }
            }
        }
    }

    @Test
    void aNegativeSizeIsRefusedAndZeroIsTheReferenceDecoding() {
        assertThrows(
                IllegalArgumentException.class,
                () -> GenerationConfig.beam(3, 20, 5).withNoRepeatNgramSize(-1));
        assertEquals(0, GenerationConfig.beam(3, 20, 5).noRepeatNgramSize());
        assertEquals(2, GenerationConfig.beam(3, 20, 5).processors(EOS).size()); // repetition penalty, min length
        assertEquals(
                3,
                GenerationConfig.beam(3, 20, 5)
                        .withNoRepeatNgramSize(3)
                        .processors(EOS)
                        .size());
    }
}

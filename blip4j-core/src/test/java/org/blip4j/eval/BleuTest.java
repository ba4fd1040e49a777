package org.blip4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** BLEU (pycocoevalcap bleu_scorer.py, option "closest") on corpora small enough to count by hand. */
class BleuTest {
    private static final double TINY = 1e-15;
    private static final double SMALL = 1e-9;

    @Test
    void oneImageCountedByHand() {
        // candidate: the cat sat on the mat            (6 words)
        // ref1:      the cat is on the mat             (6 words)
        // ref2:      there is a cat on the mat         (7 words)
        // Clipped matches (clip = max count of the n-gram in any one reference):
        //   1-grams: the x2 (ref1 has 2) + cat + on + mat = 5 of 6   ("sat" unmatched)
        //   2-grams: "the cat", "on the", "the mat" = 3 of 5          ("cat sat", "sat on" unmatched)
        //   3-grams: "on the mat" = 1 of 4
        //   4-grams: none of 3
        // Closest reference length to 6 is 6, so the penalty is exp(1 - 1/ratio) with ratio = (6+1e-15)/(6+1e-9),
        // i.e. 1 - 1.7e-10.
        //   BLEU-1 = 5/6
        //   BLEU-2 = sqrt(5/6 * 3/5) = sqrt(1/2)
        //   BLEU-3 = (5/6 * 3/5 * 1/4)^(1/3) = (1/8)^(1/3) = 1/2
        //   BLEU-4 = (1/8 * (0 + 1e-15)/(3 + 1e-9))^(1/4) ≈ (1e-15/24)^(1/4)   (the "tiny" smoothing)
        double[] b =
                Bleu.sentence("the cat sat on the mat", List.of("the cat is on the mat", "there is a cat on the mat"));
        assertEquals(5.0 / 6, b[0], 1e-8);
        assertEquals(Math.sqrt(0.5), b[1], 1e-8);
        assertEquals(0.5, b[2], 1e-8);
        assertEquals(Math.pow(1e-15 / 24, 0.25), b[3], 1e-12);
    }

    @Test
    void brevityPenaltyAndEmptyHigherOrders() {
        // candidate "the cat" (2 words) vs the only reference "the cat sat on the mat" (6 words):
        //   p1 = 2/2, p2 = 1/1; no 3- or 4-grams at all: (0 + 1e-15)/(0 + 1e-9) = 1e-6 each.
        //   ratio = 2/6, penalty = exp(1 - 3) = e^-2.
        //   BLEU-1 = BLEU-2 = e^-2; BLEU-3 = (1e-6)^(1/3) e^-2 = 0.01 e^-2; BLEU-4 = (1e-12)^(1/4) e^-2 = 1e-3 e^-2.
        double[] b = Bleu.sentence("the cat", List.of("the cat sat on the mat"));
        double e2 = Math.exp(-2);
        assertEquals(e2, b[0], 1e-9);
        assertEquals(e2, b[1], 1e-9);
        assertEquals(0.01 * e2, b[2], 1e-9);
        assertEquals(1e-3 * e2, b[3], 1e-9);
    }

    @Test
    void corpusPoolsCountsInsteadOfAveragingImages() {
        // image A: "a b c d" vs "a b c d": matches/totals per order 4/4, 3/3, 2/2, 1/1; lengths 4 and 4.
        // image B: "x y" vs "x z":         1/2, 0/1, 0/0, 0/0;                  lengths 2 and 2.
        // Corpus: 5/6, 3/4, 2/2, 1/1, testlen 6 = reflen 6 (penalty ~1):
        //   BLEU-1 = 5/6, BLEU-2 = sqrt(5/6*3/4) = sqrt(0.625), BLEU-3 = 0.625^(1/3), BLEU-4 = 0.625^(1/4).
        // Per image B: BLEU-1 = 1/2, BLEU-2 = sqrt(1/2 * 1e-15/(1+1e-9)).
        Bleu.Result r = Bleu.compute(List.of("a b c d", "x y"), List.of(List.of("a b c d"), List.of("x z")));
        assertEquals(5.0 / 6, r.corpus()[0], 1e-8);
        assertEquals(Math.sqrt(0.625), r.corpus()[1], 1e-8);
        assertEquals(Math.cbrt(0.625), r.corpus()[2], 1e-8);
        assertEquals(Math.pow(0.625, 0.25), r.corpus()[3], 1e-8);
        assertEquals(1.0, r.perImage()[3][0], 1e-8);
        assertEquals(0.5, r.perImage()[0][1], 1e-8);
        assertEquals(Math.sqrt(0.5 * TINY / (1 + SMALL)), r.perImage()[1][1], 1e-15);
    }

    @Test
    void closestReferenceLengthPrefersTheShorterOnATie() {
        // candidate of 4 words, references of 3 and 5 words: both 1 away, the shorter (3) is used, so no penalty
        // (ratio 4/3 >= 1) and BLEU-1 = 4/4 matched = 1. With the 5-word reference the penalty would be exp(1 - 5/4).
        double[] b = Bleu.sentence("a b c d", List.of("a b c d e", "a b c"));
        assertEquals(1.0, b[0], 1e-9);
    }

    @Test
    void identicalCandidateAndReferenceScoresOne() {
        double[] b = Bleu.sentence("a man rides a horse on the beach", List.of("a man rides a horse on the beach"));
        for (double v : b) {
            assertEquals(1.0, v, 1e-9); // only the ~1e-10 smoothing penalty separates it from 1
        }
    }

    @Test
    void rejectsMissingReferences() {
        assertThrows(IllegalArgumentException.class, () -> Bleu.compute(List.of("a"), List.of(List.of())));
    }
}

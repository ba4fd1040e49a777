package org.blip4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** CIDEr-D (pycocoevalcap cider_scorer.py) for two images with two references each, computed step by step. */
class CiderDTest {
    @Test
    void twoImagesTwoReferencesByHand() {
        // Image 1: refs "a b", "a c";  candidate "a b"
        // Image 2: refs "a d", "e f";  candidate "e f f"
        // Document frequencies (images whose references contain the n-gram): a = 2; b, c, d, e, f, "a b", "a c", "a d",
        // "e f" = 1; "f f", "e f f" = 0. N = 2 images, so idf = log 2 - log max(1, df): "a" -> 0, all others -> g = log
        // 2.
        //
        // Image 1, candidate "a b": 1-grams {a: 0, b: g}, |c1| = g; 2-grams {"a b": g}, |c2| = g; bigram length 1.
        //   vs ref "a b" (same vectors, length 1, delta 0): order 1: min(g,g)*g / (g*g) = 1; order 2: 1; orders 3, 4:
        // 0.
        //   vs ref "a c" ({a: 0, c: g}, {"a c": g}): no shared weight -> 0, 0, 0, 0.
        //   sum [1, 1, 0, 0] -> mean over orders 0.5 -> / 2 refs = 0.25 -> x10 = 2.5
        //
        // Image 2, candidate "e f f": 1-grams {e: g, f: 2g}, |c1| = sqrt(5) g; 2-grams {"e f": g, "f f": g},
        //   |c2| = sqrt(2) g; 3-gram {"e f f": g}; bigram length 2.
        //   vs ref "e f" ({e: g, f: g}, |r1| = sqrt(2) g; {"e f": g}, |r2| = g; length 1 -> delta 1):
        //     order 1: (min(g,g)g + min(2g,g)g) / (sqrt(5) g sqrt(2) g) = 2/sqrt(10)   (the "D" clipping of f's 2g)
        //     order 2: min(g,g)g / (sqrt(2) g * g) = 1/sqrt(2); order 3: reference norm 0 -> 0; order 4: 0
        //     each times the penalty exp(-1^2 / (2*6^2)) = exp(-1/72)
        //   vs ref "a d": nothing shared -> 0.
        //   score = (2/sqrt(10) + 1/sqrt(2)) exp(-1/72) / 4 / 2 * 10 = 1.25 (2/sqrt(10) + 1/sqrt(2)) exp(-1/72)
        //         = 1.25 * 1.3395623 * 0.9862071 = 1.6513574
        // CIDEr = (2.5 + 1.6513574) / 2 = 2.0756787
        CiderD.Result r =
                CiderD.compute(List.of("a b", "e f f"), List.of(List.of("a b", "a c"), List.of("a d", "e f")));
        double image2 = 1.25 * (2 / Math.sqrt(10) + 1 / Math.sqrt(2)) * Math.exp(-1.0 / 72);
        assertEquals(2.5, r.perImage()[0], 1e-12);
        assertEquals(image2, r.perImage()[1], 1e-12);
        assertEquals((2.5 + image2) / 2, r.corpus(), 1e-12);
        assertEquals(2.0756787, r.corpus(), 1e-7);
    }

    @Test
    void aSingleImageScoresZeroBecauseEveryIdfIsZero() {
        // N = 1: idf = log 1 - log max(1, df) = 0 for every n-gram, so all vectors are zero.
        assertEquals(
                0.0, CiderD.compute(List.of("a b c"), List.of(List.of("a b c"))).corpus(), 0.0);
    }

    @Test
    void repetitionIsClippedAndLengthPenalised() {
        // Image 1: candidate "x x" vs reference "x"; image 2: "y" vs "z" (scores 0, only there to make N = 2).
        // idf(x) = log 2 = g. Candidate 1-grams {x: 2g}, norm 2g; 2-gram {"x x": g} (df 0); reference {x: g}, norm g,
        // no 2-grams (norm 0). Order 1: min(2g, g) g / (2g g) = 1/2 (without the clipping it would be 1);
        // order 2: reference norm 0 -> 0. Bigram lengths 1 and 0 -> delta 1 -> penalty exp(-1/72).
        // Score = 10 * (1/2 exp(-1/72)) / 4 / 1 reference = 1.25 exp(-1/72) = 1.2327589.
        CiderD.Result r = CiderD.compute(List.of("x x", "y"), List.of(List.of("x"), List.of("z")));
        assertEquals(1.25 * Math.exp(-1.0 / 72), r.perImage()[0], 1e-12);
        assertEquals(0.0, r.perImage()[1], 0.0);
    }
}

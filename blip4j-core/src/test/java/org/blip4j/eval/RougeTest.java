package org.blip4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** ROUGE-L (pycocoevalcap rouge.py, beta 1.2) with hand-computed LCS values. */
class RougeTest {
    @Test
    void singleReference() {
        // candidate "a dog on a couch" (5), reference "a brown dog sleeping on the couch" (7).
        // LCS = "a dog on couch" = 4 (the candidate's second "a" has no partner after "on").
        // P = 4/5, R = 4/7, beta^2 = 36/25:
        // F = (1 + 36/25)(4/5)(4/7) / (4/7 + (36/25)(4/5)) = (976/875) / (1508/875) = 976/1508 = 244/377.
        assertEquals(
                244.0 / 377.0, Rouge.sentence("a dog on a couch", List.of("a brown dog sleeping on the couch")), 1e-12);
    }

    @Test
    void precisionAndRecallMaximaMayComeFromDifferentReferences() {
        // candidate "a man riding a horse" (5)
        // ref1 "a man is riding a brown horse" (7): LCS 5 -> P = 1, R = 5/7
        // ref2 "a horse" (2):                      LCS 2 -> P = 2/5, R = 1
        // max P = 1 (ref1), max R = 1 (ref2) -> F = 2.44 / 2.44 = 1 although neither reference matches fully.
        assertEquals(
                1.0,
                Rouge.sentence("a man riding a horse", List.of("a man is riding a brown horse", "a horse")),
                1e-12);
    }

    @Test
    void identicalIsOneDisjointIsZeroAndCorpusIsTheMean() {
        Rouge.Result r = Rouge.compute(
                List.of("two dogs play", "red car"), List.of(List.of("two dogs play"), List.of("a blue bus")));
        assertEquals(1.0, r.perImage()[0], 1e-12);
        assertEquals(0.0, r.perImage()[1], 0.0);
        assertEquals(0.5, r.corpus(), 1e-12);
    }

    @Test
    void lcs() {
        // "a b c b d a b" vs "b d c a b a": LCS 4 (e.g. "b c a b" / "b d a b").
        assertEquals(4, Rouge.lcs("a b c b d a b".split(" "), "b d c a b a".split(" ")));
    }
}

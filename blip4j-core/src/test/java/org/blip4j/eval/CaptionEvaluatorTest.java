package org.blip4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** COCOEvalCap-style evaluation: tokenisation, metric names, per-image scores. */
class CaptionEvaluatorTest {
    @Test
    void tokenizesBeforeScoring() {
        // After PTB tokenisation both sides are "a dog 's ball" vs "a dog 's ball": case, the final period and the
        // possessive split no longer differ, so BLEU and ROUGE-L are 1 (BLEU up to its ~1e-10 smoothing penalty).
        Map<String, List<String>> refs = Map.of("1", List.of("A dog's ball."), "2", List.of("Two cats, sleeping."));
        Map<String, String> cands = new LinkedHashMap<>();
        cands.put("1", "a dog 's ball");
        cands.put("2", "two cats sleeping");
        CaptionScores s = CaptionEvaluator.evaluate(refs, cands);
        assertEquals(
                List.of("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "ROUGE_L", "CIDEr"),
                List.copyOf(s.metrics().keySet()));
        assertEquals(1.0, s.get("Bleu_1"), 1e-9);
        assertEquals(1.0, s.get("Bleu_4"), 1e-9);
        assertEquals(1.0, s.get("ROUGE_L"), 1e-12);
        assertEquals(List.of("1", "2"), List.copyOf(s.perImage().keySet()));
        assertEquals(1.0, s.perImage().get("2").get("ROUGE_L"), 1e-12);
        assertFalse(s.metrics().containsKey("METEOR"));
        assertFalse(s.metrics().containsKey("SPICE"));
    }

    @Test
    void matchesTheScorersOnTheCiderExample() {
        // The CiderDTest corpus, given as already tokenized captions: CIDEr 2.0756787 (derived there).
        Map<String, List<String>> refs = Map.of("1", List.of("a b", "a c"), "2", List.of("a d", "e f"));
        Map<String, String> cands = new LinkedHashMap<>();
        cands.put("1", "a b");
        cands.put("2", "e f f");
        CaptionScores s = CaptionEvaluator.evaluateTokenized(refs, cands);
        assertEquals(2.0756787, s.get("CIDEr"), 1e-7);
        assertEquals(2.5, s.perImage().get("1").get("CIDEr"), 1e-12);
    }

    @Test
    void referencesWithoutCandidatesAreIgnoredButCandidatesNeedReferences() {
        // Image "3" has no candidate: it does not enter the CIDEr document frequencies or the means (N stays 2).
        Map<String, List<String>> refs =
                Map.of("1", List.of("a b", "a c"), "2", List.of("a d", "e f"), "3", List.of("a b"));
        Map<String, String> cands = new LinkedHashMap<>();
        cands.put("1", "a b");
        cands.put("2", "e f f");
        assertEquals(2.0756787, CaptionEvaluator.evaluateTokenized(refs, cands).get("CIDEr"), 1e-7);
        assertThrows(IllegalArgumentException.class, () -> CaptionEvaluator.evaluate(refs, Map.of("9", "a b")));
        assertThrows(IllegalArgumentException.class, () -> new CaptionScores(Map.of(), Map.of()).get("METEOR"));
    }
}

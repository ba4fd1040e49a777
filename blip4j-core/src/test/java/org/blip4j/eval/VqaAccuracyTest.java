package org.blip4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** VQA accuracy and answer normalisation (LAVIS vqa_eval.py / the VQA API). */
class VqaAccuracyTest {
    /** Ten annotator answers: {@code matching} copies of {@code answer}, the rest "other". */
    private static List<String> answers(String answer, int matching) {
        List<String> a = new ArrayList<>(Collections.nCopies(matching, answer));
        a.addAll(Collections.nCopies(10 - matching, "other"));
        return a;
    }

    @Test
    void leaveOneOutAverages() {
        // Each of the 10 annotators is left out in turn; acc = min(1, matches among the other 9 / 3).
        // 4 matching: leaving out a match leaves 3 -> 1, leaving out a non-match leaves 4 -> 1: mean 1 -> 100.
        assertEquals(100.0, VqaAccuracy.accuracy("yes", answers("yes", 4)), 1e-12);
        // 3 matching: 3 subsets lose a match (2 left -> 2/3), 7 keep all 3 (-> 1): (3 * 2/3 + 7) / 10 = 0.9 -> 90.
        assertEquals(90.0, VqaAccuracy.accuracy("yes", answers("yes", 3)), 1e-12);
        // 2 matching: 2 subsets with 1 match (1/3), 8 with 2 (2/3): (2/3 + 16/3) / 10 = 0.6 -> 60.
        assertEquals(60.0, VqaAccuracy.accuracy("yes", answers("yes", 2)), 1e-12);
        // 1 matching: 1 subset with 0, 9 with 1 (1/3): (9/3) / 10 = 0.3 -> 30.
        assertEquals(30.0, VqaAccuracy.accuracy("yes", answers("yes", 1)), 1e-12);
        assertEquals(0.0, VqaAccuracy.accuracy("no", answers("yes", 9)), 0.0);
    }

    @Test
    void predictionIsNormalised() {
        // "Two." -> period stripped -> "two" -> "2"; 3 of 10 annotators said "2" -> 90.
        assertEquals(90.0, VqaAccuracy.accuracy("Two.", answers("2", 3)), 1e-12);
        // "The dog!\n" -> newline to space, strip, "!" to space, lower-case, drop "the" -> "dog".
        assertEquals(100.0, VqaAccuracy.accuracy("The dog!\n", answers("dog", 10)), 1e-12);
        // Ground truths get processPunctuation (not lower-casing) when they differ: "t-shirt" -> "t shirt";
        // the prediction "T-Shirt" -> "t shirt" too: 3 matches -> 90.
        assertEquals(90.0, VqaAccuracy.accuracy("T-Shirt", answers("t-shirt", 3)), 1e-12);
    }

    @Test
    void identicalGroundTruthsAreComparedUnprocessed() {
        // All ten answers identical -> no processing of them; the prediction is still lower-cased: "yes" != "Yes".
        assertEquals(0.0, VqaAccuracy.accuracy("Yes", Collections.nCopies(10, "Yes")), 0.0);
        assertEquals(100.0, VqaAccuracy.accuracy("Yes", Collections.nCopies(10, "yes")), 0.0);
    }

    @Test
    void processPunctuation() {
        assertEquals("yes ", VqaAccuracy.processPunctuation("yes!")); // no space next to "!" -> replaced by a space
        assertEquals("red white", VqaAccuracy.processPunctuation("red, white")); // ", " present -> "," deleted
        assertEquals("red white", VqaAccuracy.processPunctuation("red,white")); // -> replaced by a space
        assertEquals("1000 m", VqaAccuracy.processPunctuation("1,000 m")); // digit,digit -> every mark deleted
        assertEquals("3.5", VqaAccuracy.processPunctuation("3.5")); // period before a digit kept
        assertEquals("end", VqaAccuracy.processPunctuation("end."));
        assertEquals("ab", VqaAccuracy.processPunctuation("a.b"));
        assertEquals("it's", VqaAccuracy.processPunctuation("it's")); // apostrophe and colon are not in the list
        assertEquals(".".repeat(8), VqaAccuracy.processPunctuation(".".repeat(40))); // re.UNICODE (32) is the count
    }

    @Test
    void processDigitArticle() {
        assertEquals("2 dogs", VqaAccuracy.processDigitArticle("The Two dogs"));
        assertEquals("0", VqaAccuracy.processDigitArticle("None"));
        assertEquals("10", VqaAccuracy.processDigitArticle("ten"));
        assertEquals("apple", VqaAccuracy.processDigitArticle("an   apple"));
        assertEquals("don't know", VqaAccuracy.processDigitArticle("dont know"));
        assertEquals("somebodyd", VqaAccuracy.processDigitArticle("somebody'd")); // the table's own oddity
        assertEquals("yes", VqaAccuracy.normalizePrediction("\tYes!  "));
    }

    @Test
    void overallIsTheMean() {
        // (100 + 90 + 60) / 3 = 250/3
        double overall = VqaAccuracy.overall(
                List.of("yes", "yes", "yes"), List.of(answers("yes", 4), answers("yes", 3), answers("yes", 2)));
        assertEquals(250.0 / 3, overall, 1e-12);
    }
}

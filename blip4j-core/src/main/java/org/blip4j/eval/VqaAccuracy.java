package org.blip4j.eval;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * VQA accuracy as LAVIS's {@code lavis/common/vqa_tools/vqa_eval.py} ({@code VQAEval}, from the official VQA API)
 * computes it.
 *
 * <p>Per question: the predicted answer has tabs and newlines turned into spaces, is stripped, then goes through
 * {@link #processPunctuation} and {@link #processDigitArticle}; the ground-truth answers go through
 * {@code processPunctuation} only, and only when they are not all identical (so an all-identical answer set is
 * compared as given). Then, for each of the (usually 10) annotators, {@code min(1, matches among the other answers /
 * 3)}, averaged over the annotators: 1, 2, 3 matching annotators out of 10 give 30, 60 and 90, four or more 100.
 * Accuracies here are ×100 and unrounded; the official code rounds the per-question and overall values to 2 decimals.
 */
public final class VqaAccuracy {
    private static final List<String> PUNCT = List.of(
            ";", "/", "[", "]", "\"", "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">", "<", "@", "`", ",", "?", "!");
    private static final Pattern COMMA_STRIP = Pattern.compile("\\p{Nd},\\p{Nd}");
    /** {@code (?!<=\d)(\.)(?!\d)}: the first group is a look-ahead (not a look-behind), always true before a period. */
    private static final Pattern PERIOD_STRIP = Pattern.compile("\\.(?!\\p{Nd})");
    /** {@code periodStrip.sub("", text, re.UNICODE)} passes {@code re.UNICODE} (32) as the replacement count. */
    private static final int PERIOD_STRIP_COUNT = 32;

    private static final List<String> ARTICLES = List.of("a", "an", "the");
    private static final Map<String, String> MANUAL_MAP = Map.ofEntries(
            Map.entry("none", "0"),
            Map.entry("zero", "0"),
            Map.entry("one", "1"),
            Map.entry("two", "2"),
            Map.entry("three", "3"),
            Map.entry("four", "4"),
            Map.entry("five", "5"),
            Map.entry("six", "6"),
            Map.entry("seven", "7"),
            Map.entry("eight", "8"),
            Map.entry("nine", "9"),
            Map.entry("ten", "10"));

    private VqaAccuracy() {}

    /** The prediction-side normalisation: tabs/newlines to spaces, strip, punctuation, digits/articles/contractions. */
    public static String normalizePrediction(String answer) {
        String s = PyStrings.strip(answer.replace('\n', ' ').replace('\t', ' '));
        return processDigitArticle(processPunctuation(s));
    }

    /**
     * {@code processPunctuation}: each of {@code ; / [ ] " { } ( ) = + \ _ - > < @ ` , ? !} is deleted if it has a space
     * on either side somewhere in the input or if the input contains digit,digit, and replaced by a space otherwise;
     * then periods not followed by a digit are deleted (at most 32 of them).
     */
    public static String processPunctuation(String in) {
        boolean digitCommaDigit = COMMA_STRIP.matcher(in).find();
        String out = in;
        for (String p : PUNCT) {
            boolean spaced = in.contains(p + " ") || in.contains(" " + p);
            out = out.replace(p, spaced || digitCommaDigit ? "" : " ");
        }
        Matcher m = PERIOD_STRIP.matcher(out);
        StringBuilder b = new StringBuilder(out.length());
        int replaced = 0;
        while (replaced < PERIOD_STRIP_COUNT && m.find()) {
            m.appendReplacement(b, "");
            replaced++;
        }
        m.appendTail(b);
        return b.toString();
    }

    /**
     * {@code processDigitArticle}: lower-case, split on whitespace, number words "none"/"zero".."ten" to digits, drop
     * the articles a/an/the, expand the contractions table ("dont" → "don't"), join with single spaces.
     */
    public static String processDigitArticle(String in) {
        List<String> words = new ArrayList<>();
        for (String w : PyStrings.split(in.toLowerCase(Locale.ROOT))) {
            w = MANUAL_MAP.getOrDefault(w, w);
            if (!ARTICLES.contains(w)) {
                words.add(VqaContractions.TABLE.getOrDefault(w, w));
            }
        }
        return String.join(" ", words);
    }

    /** Accuracy (0..100) of one predicted answer against the annotators' answers (usually 10). */
    public static double accuracy(String prediction, List<String> gtAnswers) {
        if (gtAnswers.isEmpty()) {
            throw new IllegalArgumentException("no ground-truth answers");
        }
        String pred = normalizePrediction(prediction);
        List<String> gts = gtAnswers;
        if (new HashSet<>(gtAnswers).size() > 1) {
            gts = new ArrayList<>(gtAnswers.size());
            for (String a : gtAnswers) {
                gts.add(processPunctuation(a));
            }
        }
        double sum = 0;
        for (int left = 0; left < gts.size(); left++) {
            int matches = 0;
            for (int j = 0; j < gts.size(); j++) {
                if (j != left && gts.get(j).equals(pred)) {
                    matches++;
                }
            }
            sum += Math.min(1.0, matches / 3.0);
        }
        return 100.0 * sum / gts.size();
    }

    /** Mean accuracy (0..100) over questions; {@code predictions.get(i)} answers {@code gtAnswers.get(i)}. */
    public static double overall(List<String> predictions, List<List<String>> gtAnswers) {
        if (predictions.size() != gtAnswers.size() || predictions.isEmpty()) {
            throw new IllegalArgumentException("need equally many (>0) predictions and answer sets");
        }
        double sum = 0;
        for (int i = 0; i < predictions.size(); i++) {
            sum += accuracy(predictions.get(i), gtAnswers.get(i));
        }
        return sum / predictions.size();
    }
}

package org.blip4j.eval;

import java.util.List;

/**
 * ROUGE-L as pycocoevalcap's {@code rouge/rouge.py} computes it: per image, the longest common subsequence with each
 * reference gives a precision ({@code lcs / |candidate|}) and a recall ({@code lcs / |reference|}); the maximum
 * precision and the maximum recall over the references (possibly from different references) give
 * {@code F = (1 + β²)·P·R / (R + β²·P)} with {@code β = 1.2} (0 when either is 0); the corpus score is the mean.
 * Sentences are split on single spaces, as Python's {@code str.split(" ")}.
 */
public final class Rouge {
    /** pycocoevalcap's {@code beta}. */
    public static final double BETA = 1.2;

    /** Mean ROUGE-L and the per-image values. */
    public record Result(double corpus, double[] perImage) {}

    private Rouge() {}

    /** Scores tokenized candidates; {@code candidates.get(i)} belongs with {@code references.get(i)} (not empty). */
    public static Result compute(List<String> candidates, List<List<String>> references) {
        if (candidates.size() != references.size()) {
            throw new IllegalArgumentException("candidates and references differ in size");
        }
        double[] per = new double[candidates.size()];
        double sum = 0;
        for (int i = 0; i < per.length; i++) {
            per[i] = sentence(candidates.get(i), references.get(i));
            sum += per[i];
        }
        return new Result(per.length == 0 ? Double.NaN : sum / per.length, per);
    }

    /** ROUGE-L of one tokenized candidate against its tokenized references. */
    public static double sentence(String candidate, List<String> references) {
        if (references.isEmpty()) {
            throw new IllegalArgumentException("no reference");
        }
        String[] cand = PyStrings.splitOnSpace(candidate);
        double precMax = 0;
        double recMax = 0;
        for (String reference : references) {
            String[] ref = PyStrings.splitOnSpace(reference);
            int lcs = lcs(ref, cand);
            precMax = Math.max(precMax, lcs / (double) cand.length);
            recMax = Math.max(recMax, lcs / (double) ref.length);
        }
        if (precMax == 0 || recMax == 0) {
            return 0.0;
        }
        double b2 = BETA * BETA;
        return ((1 + b2) * precMax * recMax) / (recMax + b2 * precMax);
    }

    /** Length of the longest common subsequence of two token sequences. */
    static int lcs(String[] a, String[] b) {
        int[] prev = new int[b.length + 1];
        int[] cur = new int[b.length + 1];
        for (String x : a) {
            for (int j = 1; j <= b.length; j++) {
                cur[j] = x.equals(b[j - 1]) ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length];
    }
}

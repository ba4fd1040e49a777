package org.blip4j.eval;

import java.util.List;
import java.util.Map;

/**
 * BLEU-1..4 as pycocoevalcap's {@code bleu/bleu_scorer.py} computes it with {@code option='closest'}: corpus-level
 * clipped n-gram precisions (clipped by the maximum count over an image's references), the reference length closest
 * to each candidate's (the shorter one on a tie) summed over the corpus for the brevity penalty, and the smoothing
 * constants {@code tiny = 1e-15} (added to matches) and {@code small = 1e-9} (added to totals).
 *
 * <p>BLEU-{@code k} is {@code (p1 * ... * pk)^(1/k)}, times {@code exp(1 - 1/ratio)} when
 * {@code ratio = (testlen + tiny) / (reflen + small)} is below 1 (so a candidate exactly as long as its reference
 * gets a penalty of about {@code 1 - 1e-10}). Per-image scores use the same formula on that image's counts alone.
 * Sentences are split as Python's {@code str.split()}.
 */
public final class Bleu {
    /** Highest n-gram order. */
    public static final int N = 4;

    private static final double TINY = 1e-15;
    private static final double SMALL = 1e-9;

    /** Corpus BLEU-1..4 ({@code corpus[k]} is BLEU-(k+1)) and per-image values ({@code perImage[k][image]}). */
    public record Result(double[] corpus, double[][] perImage) {}

    private Bleu() {}

    /**
     * Scores tokenized candidates against their references; {@code candidates.get(i)} belongs with
     * {@code references.get(i)}, which must not be empty.
     */
    public static Result compute(List<String> candidates, List<List<String>> references) {
        if (candidates.size() != references.size()) {
            throw new IllegalArgumentException("candidates and references differ in size");
        }
        int images = candidates.size();
        double[][] perImage = new double[N][images];
        long[] correct = new long[N];
        long[] guess = new long[N];
        double testTotal = 0;
        double refTotal = 0;
        for (int img = 0; img < images; img++) {
            List<String> refs = references.get(img);
            if (refs.isEmpty()) {
                throw new IllegalArgumentException("image " + img + " has no reference");
            }
            List<Map<String, Integer>> maxRef = null;
            int testLen = PyStrings.split(candidates.get(img)).size();
            int closest = -1;
            for (String ref : refs) {
                List<String> words = PyStrings.split(ref);
                List<Map<String, Integer>> counts = NGrams.count(words, N);
                if (maxRef == null) {
                    maxRef = counts;
                } else {
                    for (int k = 0; k < N; k++) {
                        Map<String, Integer> target = maxRef.get(k);
                        counts.get(k).forEach((gram, c) -> target.merge(gram, c, Math::max));
                    }
                }
                int len = words.size();
                int d = Math.abs(len - testLen);
                int best = closest < 0 ? Integer.MAX_VALUE : Math.abs(closest - testLen);
                if (d < best || (d == best && len < closest)) {
                    closest = len;
                }
            }
            List<Map<String, Integer>> test = NGrams.count(candidates.get(img), N);
            long[] imgCorrect = new long[N];
            long[] imgGuess = new long[N];
            for (int k = 0; k < N; k++) {
                Map<String, Integer> refMax = maxRef.get(k);
                for (Map.Entry<String, Integer> e : test.get(k).entrySet()) {
                    imgCorrect[k] += Math.min(refMax.getOrDefault(e.getKey(), 0), e.getValue());
                }
                imgGuess[k] = Math.max(0, testLen - k);
                correct[k] += imgCorrect[k];
                guess[k] += imgGuess[k];
            }
            testTotal += testLen;
            refTotal += closest;
            double[] scores = scores(imgCorrect, imgGuess, testLen, closest);
            for (int k = 0; k < N; k++) {
                perImage[k][img] = scores[k];
            }
        }
        return new Result(scores(correct, guess, testTotal, refTotal), perImage);
    }

    /** Convenience for a single candidate against its references: its BLEU-1..4. */
    public static double[] sentence(String candidate, List<String> references) {
        return compute(List.of(candidate), List.of(references)).corpus();
    }

    private static double[] scores(long[] correct, long[] guess, double testLen, double refLen) {
        double[] out = new double[N];
        double product = 1.0;
        for (int k = 0; k < N; k++) {
            product *= (correct[k] + TINY) / (guess[k] + SMALL);
            out[k] = Math.pow(product, 1.0 / (k + 1));
        }
        double ratio = (testLen + TINY) / (refLen + SMALL);
        if (ratio < 1) {
            double penalty = Math.exp(1 - 1 / ratio);
            for (int k = 0; k < N; k++) {
                out[k] *= penalty;
            }
        }
        return out;
    }
}

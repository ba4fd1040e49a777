package org.blip4j.eval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * CIDEr-D as pycocoevalcap's {@code cider/cider_scorer.py} computes it (reported there as "CIDEr"): n = 1..4,
 * {@code σ = 6}; document frequencies from the references of the evaluated images (an image counts once per n-gram);
 * tf-idf vectors {@code tf · (log N − log max(1, df))} with N the number of images; per order the similarity
 * {@code Σ min(c, r)·r / (|c|·|r|)} (candidate weights clipped by the reference's, norms unclipped, 0 when a norm is
 * 0) times the length penalty {@code exp(−Δ² / 2σ²)}; the mean over the four orders, summed over the references and
 * divided by their number, times 10; the corpus score is the mean over images.
 *
 * <p>As in the reference code, the "length" in Δ is the number of bigrams (the scorer counts n-grams at index 1),
 * which equals the word count minus one for non-empty sentences; N = 1 gives idf 0 and a score of 0. Sentences are
 * split as Python's {@code str.split()}.
 */
public final class CiderD {
    /** Highest n-gram order. */
    public static final int N = 4;
    /** Standard deviation of the Gaussian length penalty. */
    public static final double SIGMA = 6.0;

    /** Mean CIDEr-D and the per-image values. */
    public record Result(double corpus, double[] perImage) {}

    private record Vec(List<Map<String, Double>> weights, double[] norm, int length) {}

    private CiderD() {}

    /** Scores tokenized candidates; {@code candidates.get(i)} belongs with {@code references.get(i)} (not empty). */
    public static Result compute(List<String> candidates, List<List<String>> references) {
        if (candidates.size() != references.size()) {
            throw new IllegalArgumentException("candidates and references differ in size");
        }
        List<List<List<Map<String, Integer>>>> refCounts = new ArrayList<>();
        Map<String, Integer> df = new HashMap<>();
        for (List<String> refs : references) {
            if (refs.isEmpty()) {
                throw new IllegalArgumentException("an image has no reference");
            }
            List<List<Map<String, Integer>>> cooked = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (String ref : refs) {
                List<Map<String, Integer>> counts = NGrams.count(ref, N);
                cooked.add(counts);
                for (Map<String, Integer> order : counts) {
                    seen.addAll(order.keySet());
                }
            }
            seen.forEach(gram -> df.merge(gram, 1, Integer::sum));
            refCounts.add(cooked);
        }
        double refLen = Math.log(candidates.size());
        double[] per = new double[candidates.size()];
        double sum = 0;
        for (int img = 0; img < per.length; img++) {
            Vec cand = vector(NGrams.count(candidates.get(img), N), df, refLen);
            double[] score = new double[N];
            for (List<Map<String, Integer>> ref : refCounts.get(img)) {
                double[] s = similarity(cand, vector(ref, df, refLen));
                for (int n = 0; n < N; n++) {
                    score[n] += s[n];
                }
            }
            double mean = 0;
            for (double s : score) {
                mean += s;
            }
            per[img] = mean / N / refCounts.get(img).size() * 10.0;
            sum += per[img];
        }
        return new Result(per.length == 0 ? Double.NaN : sum / per.length, per);
    }

    private static Vec vector(List<Map<String, Integer>> counts, Map<String, Integer> df, double refLen) {
        List<Map<String, Double>> weights = new ArrayList<>(N);
        double[] norm = new double[N];
        int length = 0;
        for (int n = 0; n < N; n++) {
            Map<String, Double> w = new HashMap<>();
            for (Map.Entry<String, Integer> e : counts.get(n).entrySet()) {
                double logDf = Math.log(Math.max(1.0, df.getOrDefault(e.getKey(), 0)));
                double v = e.getValue() * (refLen - logDf);
                w.put(e.getKey(), v);
                norm[n] += v * v;
                if (n == 1) {
                    length += e.getValue();
                }
            }
            weights.add(w);
            norm[n] = Math.sqrt(norm[n]);
        }
        return new Vec(weights, norm, length);
    }

    private static double[] similarity(Vec hyp, Vec ref) {
        double delta = hyp.length() - ref.length();
        double[] val = new double[N];
        for (int n = 0; n < N; n++) {
            Map<String, Double> r = ref.weights().get(n);
            for (Map.Entry<String, Double> e : hyp.weights().get(n).entrySet()) {
                double rv = r.getOrDefault(e.getKey(), 0.0);
                val[n] += Math.min(e.getValue(), rv) * rv;
            }
            if (hyp.norm()[n] != 0 && ref.norm()[n] != 0) {
                val[n] /= hyp.norm()[n] * ref.norm()[n];
            }
            val[n] *= Math.pow(Math.E, -(delta * delta) / (2 * SIGMA * SIGMA));
        }
        return val;
    }
}

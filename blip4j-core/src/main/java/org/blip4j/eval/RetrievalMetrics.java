package org.blip4j.eval;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Recall@K for image-text retrieval as BLIP's {@code train_retrieval.py} {@code itm_eval} computes it, and the video
 * variant of {@code eval_retrieval_video.py} (with {@code vid_mdR}).
 *
 * <p>A query's rank is the 0-based position of its ground truth in the candidates sorted by descending score (for an
 * image, the best position among its ground-truth texts); {@code R@K = 100 · fraction(rank < K)} for K = 1, 5, 10.
 * Ranks follow {@code np.argsort(score)[::-1]} with a stable ascending sort: among tied scores the higher index comes
 * first, and NaN sorts above every number. (numpy's default argsort is not guaranteed stable on more than 16
 * elements, so the reference may order exact ties differently; BLIP's scores tie only for candidates outside the
 * re-ranked top-k, which are far below rank 10.)
 */
public final class RetrievalMetrics {
    private RetrievalMetrics() {}

    /**
     * BLIP's {@code itm_eval}: keys {@code txt_r1, txt_r5, txt_r10, txt_r_mean, img_r1, img_r5, img_r10, img_r_mean,
     * r_mean} (percent; {@code txt_*} is image→text retrieval, {@code img_*} text→image).
     *
     * @param scoresI2t images × texts, higher is better
     * @param scoresT2i texts × images (BLIP fills the two separately after ITM re-ranking)
     * @param txt2img ground-truth image of each text
     * @param img2txt ground-truth texts of each image
     */
    public static Map<String, Double> itmEval(
            double[][] scoresI2t, double[][] scoresT2i, int[] txt2img, int[][] img2txt) {
        return evaluate(scoresI2t, scoresT2i, txt2img, img2txt, "img", false);
    }

    /** {@link #itmEval(double[][], double[][], int[], int[][])} with {@code scoresT2i} the transpose of one matrix. */
    public static Map<String, Double> itmEval(double[][] scoresI2t, int[] txt2img, int[][] img2txt) {
        return itmEval(scoresI2t, transpose(scoresI2t), txt2img, img2txt);
    }

    /** {@link #itmEval(double[][], double[][], int[], int[][])} for float scores, as the models produce them. */
    public static Map<String, Double> itmEval(
            float[][] scoresI2t, float[][] scoresT2i, int[] txt2img, int[][] img2txt) {
        return itmEval(widen(scoresI2t), widen(scoresT2i), txt2img, img2txt);
    }

    /**
     * {@code eval_retrieval_video.py}'s {@code itm_eval}: keys {@code txt_r1, txt_r5, txt_r10, txt_r_mean, vid_r1,
     * vid_r5, vid_r10, vid_r_mean, vid_mdR, r_mean}; {@code vid_mdR} is the median of text→video rank + 1.
     */
    public static Map<String, Double> videoItmEval(
            double[][] scoresV2t, double[][] scoresT2v, int[] txt2vid, int[][] vid2txt) {
        return evaluate(scoresV2t, scoresT2v, txt2vid, vid2txt, "vid", true);
    }

    /**
     * 0-based position of {@code target} in {@code scores} sorted descending as {@code np.argsort(scores)[::-1]} with a
     * stable sort: the number of higher scores plus the number of equal scores at a higher index.
     */
    public static int rank(double[] scores, int target) {
        double t = scores[target];
        int rank = 0;
        for (int j = 0; j < scores.length; j++) {
            int cmp = compare(scores[j], t);
            if (cmp > 0 || (cmp == 0 && j > target)) {
                rank++;
            }
        }
        return rank;
    }

    /** Median of {@code rank + 1} over the queries, as {@code np.median(ranks + 1)}. */
    public static double medianRank(int[] ranks) {
        if (ranks.length == 0) {
            return Double.NaN;
        }
        int[] sorted = ranks.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] + 1.0 : (sorted[mid - 1] + sorted[mid]) / 2.0 + 1.0;
    }

    /** Percentage of ranks below {@code k}. */
    public static double recallAt(int[] ranks, int k) {
        int hits = 0;
        for (int r : ranks) {
            if (r < k) {
                hits++;
            }
        }
        return 100.0 * hits / ranks.length;
    }

    private static Map<String, Double> evaluate(
            double[][] i2t, double[][] t2i, int[] txt2img, int[][] img2txt, String queryKey, boolean video) {
        if (i2t.length != img2txt.length || t2i.length != txt2img.length) {
            throw new IllegalArgumentException("score matrices and ground truth differ in size");
        }
        int[] imgRanks = new int[i2t.length];
        for (int i = 0; i < i2t.length; i++) {
            int best = Integer.MAX_VALUE;
            for (int txt : img2txt[i]) {
                best = Math.min(best, rank(i2t[i], txt));
            }
            imgRanks[i] = best;
        }
        int[] txtRanks = new int[t2i.length];
        for (int t = 0; t < t2i.length; t++) {
            txtRanks[t] = rank(t2i[t], txt2img[t]);
        }
        double tr1 = recallAt(imgRanks, 1);
        double tr5 = recallAt(imgRanks, 5);
        double tr10 = recallAt(imgRanks, 10);
        double ir1 = recallAt(txtRanks, 1);
        double ir5 = recallAt(txtRanks, 5);
        double ir10 = recallAt(txtRanks, 10);
        double trMean = (tr1 + tr5 + tr10) / 3;
        double irMean = (ir1 + ir5 + ir10) / 3;
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("txt_r1", tr1);
        out.put("txt_r5", tr5);
        out.put("txt_r10", tr10);
        out.put("txt_r_mean", trMean);
        out.put(queryKey + "_r1", ir1);
        out.put(queryKey + "_r5", ir5);
        out.put(queryKey + "_r10", ir10);
        out.put(queryKey + "_r_mean", irMean);
        if (video) {
            out.put("vid_mdR", medianRank(txtRanks));
        }
        out.put("r_mean", (trMean + irMean) / 2);
        return out;
    }

    /** Ascending order as numpy sorts: NaN above everything, NaNs equal to each other. */
    private static int compare(double a, double b) {
        boolean na = Double.isNaN(a);
        boolean nb = Double.isNaN(b);
        if (na || nb) {
            return na == nb ? 0 : (na ? 1 : -1);
        }
        return a > b ? 1 : (a < b ? -1 : 0);
    }

    private static double[][] transpose(double[][] m) {
        int rows = m.length;
        int cols = rows == 0 ? 0 : m[0].length;
        double[][] t = new double[cols][rows];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j][i] = m[i][j];
            }
        }
        return t;
    }

    private static double[][] widen(float[][] m) {
        double[][] out = new double[m.length][];
        for (int i = 0; i < m.length; i++) {
            out[i] = new double[m[i].length];
            for (int j = 0; j < m[i].length; j++) {
                out[i][j] = m[i][j];
            }
        }
        return out;
    }
}

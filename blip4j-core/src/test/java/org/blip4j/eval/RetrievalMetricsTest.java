package org.blip4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Retrieval recall@K (BLIP train_retrieval.py itm_eval, eval_retrieval_video.py) on hand-made score matrices. */
class RetrievalMetricsTest {
    @Test
    void rankIsThePositionInTheDescendingSortWithStableTies() {
        assertEquals(0, RetrievalMetrics.rank(new double[] {0.1, 0.9, 0.5}, 1));
        assertEquals(2, RetrievalMetrics.rank(new double[] {0.1, 0.9, 0.5}, 0));
        // argsort([.5, .5, .5]) (stable) = [0, 1, 2]; reversed [2, 1, 0]: index 1 is at position 1, index 0 at 2.
        assertEquals(1, RetrievalMetrics.rank(new double[] {0.5, 0.5, 0.5}, 1));
        assertEquals(2, RetrievalMetrics.rank(new double[] {0.5, 0.5, 0.5}, 0));
        // numpy sorts NaN last, so after reversing it comes first.
        assertEquals(1, RetrievalMetrics.rank(new double[] {Double.NaN, 0.9}, 1));
    }

    @Test
    void imageRankIsTheBestOfItsTexts() {
        // 2 images x 4 texts; image 0 owns texts {0, 1}, image 1 owns {2, 3}.
        // image 0 scores [.2, .1, .8, .9]: order t3 t2 t0 t1 -> t0 at 2, t1 at 3 -> rank 2
        // image 1 scores [.9, .1, .3, .8]: order t0 t3 t2 t1 -> t2 at 2, t3 at 1 -> rank 1
        // texts (transpose): t0 [.2, .9] -> image 0 at 1; t1 [.1, .1] -> tie, image 1 first -> image 0 at 1;
        //                    t2 [.8, .3] -> image 1 at 1; t3 [.9, .8] -> image 1 at 1.
        // txt_r1 = 0 (no image rank < 1), txt_r5 = txt_r10 = 100; img_r1 = 0, img_r5 = img_r10 = 100.
        double[][] i2t = {{0.2, 0.1, 0.8, 0.9}, {0.9, 0.1, 0.3, 0.8}};
        Map<String, Double> m = RetrievalMetrics.itmEval(i2t, new int[] {0, 0, 1, 1}, new int[][] {{0, 1}, {2, 3}});
        assertEquals(0.0, m.get("txt_r1"), 0.0);
        assertEquals(100.0, m.get("txt_r5"), 0.0);
        assertEquals(0.0, m.get("img_r1"), 0.0);
        assertEquals(200.0 / 3, m.get("img_r_mean"), 1e-12);
        assertEquals(200.0 / 3, m.get("r_mean"), 1e-12);
    }

    @Test
    void recallsAtOneFiveTenOnTwelveQueries() {
        // 12 images, 12 texts, text i belongs to image i. Row i of each matrix is built so that exactly r non-matching
        // candidates score above the ground truth, i.e. its rank is r.
        int[] imageRanks = {0, 0, 0, 1, 2, 4, 5, 6, 9, 10, 11, 3};
        int[] textRanks = {0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 11, 2};
        int[] txt2img = new int[12];
        int[][] img2txt = new int[12][];
        for (int i = 0; i < 12; i++) {
            txt2img[i] = i;
            img2txt[i] = new int[] {i};
        }
        Map<String, Double> m = RetrievalMetrics.itmEval(matrix(imageRanks), matrix(textRanks), txt2img, img2txt);
        // image -> text: ranks < 1: 3 of 12 = 25; < 5: {0,0,0,1,2,4,3} 7 of 12 = 175/3; < 10: all but 10, 11 = 250/3
        assertEquals(25.0, m.get("txt_r1"), 1e-12);
        assertEquals(175.0 / 3, m.get("txt_r5"), 1e-12);
        assertEquals(250.0 / 3, m.get("txt_r10"), 1e-12);
        // text -> image: < 1: 9 of 12 = 75; < 5: 11 of 12 = 275/3; < 10: 275/3
        assertEquals(75.0, m.get("img_r1"), 1e-12);
        assertEquals(275.0 / 3, m.get("img_r5"), 1e-12);
        assertEquals(275.0 / 3, m.get("img_r10"), 1e-12);
        // means: (25 + 175/3 + 250/3)/3 = 500/9; (75 + 275/3 + 275/3)/3 = 775/9; r_mean = (500/9 + 775/9)/2 = 1275/18
        assertEquals(500.0 / 9, m.get("txt_r_mean"), 1e-12);
        assertEquals(775.0 / 9, m.get("img_r_mean"), 1e-12);
        assertEquals(1275.0 / 18, m.get("r_mean"), 1e-12);
        assertEquals(
                java.util.List.of(
                        "txt_r1",
                        "txt_r5",
                        "txt_r10",
                        "txt_r_mean",
                        "img_r1",
                        "img_r5",
                        "img_r10",
                        "img_r_mean",
                        "r_mean"),
                java.util.List.copyOf(m.keySet()));
    }

    @Test
    void videoAddsMedianRank() {
        // text -> video ranks [0, 1, 2, 5] -> rank + 1 = [1, 2, 3, 6] -> median (2 + 3)/2 = 2.5
        int[] textRanks = {0, 1, 2, 5};
        double[][] t2v = new double[4][];
        for (int t = 0; t < 4; t++) {
            t2v[t] = row(6, t, textRanks[t]);
        }
        double[][] v2t = new double[6][];
        int[][] vid2txt = new int[6][];
        for (int v = 0; v < 6; v++) {
            v2t[v] = new double[] {1, 0, 0, 0};
            vid2txt[v] = new int[] {0};
        }
        Map<String, Double> m = RetrievalMetrics.videoItmEval(v2t, t2v, new int[] {0, 1, 2, 3}, vid2txt);
        assertEquals(2.5, m.get("vid_mdR"), 0.0);
        assertEquals(25.0, m.get("vid_r1"), 0.0);
        assertEquals(100.0, m.get("txt_r1"), 0.0);
        // odd count: ranks [7, 0, 3] -> [8, 1, 4] -> median 4
        assertEquals(4.0, RetrievalMetrics.medianRank(new int[] {7, 0, 3}), 0.0);
    }

    /** 12 x 12 scores where row i's diagonal entry has exactly ranks[i] higher entries. */
    private static double[][] matrix(int[] ranks) {
        double[][] m = new double[ranks.length][];
        for (int i = 0; i < ranks.length; i++) {
            m[i] = row(ranks.length, i, ranks[i]);
        }
        return m;
    }

    /** Scores n - 1, n - 2, ... for the other candidates in index order; the target sits just below the r-th of them. */
    private static double[] row(int n, int target, int r) {
        double[] row = new double[n];
        int k = 0;
        for (int j = 0; j < n; j++) {
            if (j != target) {
                row[j] = n - 1 - k;
                k++;
            }
        }
        row[target] = n - 1 - r + 0.5;
        return row;
    }
}

package org.blip4j.generate;

/**
 * The logits processors and warpers of transformers 4.15 that BLIP's generation uses, on one row of scores:
 * {@code RepetitionPenaltyLogitsProcessor}, {@code MinLengthLogitsProcessor}, {@code TemperatureLogitsWarper},
 * {@code TopKLogitsWarper}, {@code TopPLogitsWarper}. Float arithmetic as PyTorch's float32 kernels.
 */
public final class Processors {
    private Processors() {}

    /** Divides positive / multiplies negative scores of every token already in {@code seen} by the penalty. */
    public static void repetitionPenalty(float[] scores, long[] seen, int seenLength, float penalty) {
        if (penalty == 1.0f) {
            return;
        }
        boolean[] done = new boolean[scores.length];
        for (int i = 0; i < seenLength; i++) {
            int t = (int) seen[i];
            if (!done[t]) {
                done[t] = true;
                float s = scores[t];
                scores[t] = s < 0 ? s * penalty : s / penalty;
            }
        }
    }

    /**
     * Bans every token that would complete an n-gram already in {@code seq[0, length)}: the tokens that followed an
     * earlier occurrence of the last {@code n - 1} tokens. Nothing is banned before the sequence holds n - 1 tokens.
     */
    public static void noRepeatNgram(float[] scores, long[] seq, int length, int n) {
        if (n <= 0 || length + 1 < n) {
            return;
        }
        int p = length - (n - 1); // start of the current (n - 1)-token prefix
        for (int i = 0; i + n - 1 < length; i++) {
            boolean same = true;
            for (int j = 0; j < n - 1 && same; j++) {
                same = seq[i + j] == seq[p + j];
            }
            if (same) {
                scores[(int) seq[i + n - 1]] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /** Bans eos while the current length is below the minimum. */
    public static void minLength(float[] scores, int curLength, int minLength, int eos) {
        if (curLength < minLength) {
            scores[eos] = Float.NEGATIVE_INFINITY;
        }
    }

    public static void temperature(float[] scores, float t) {
        if (t != 1.0f) {
            for (int i = 0; i < scores.length; i++) {
                scores[i] = scores[i] / t;
            }
        }
    }

    /** Sets to -inf every score strictly below the k-th largest. */
    public static void topK(float[] scores, int k) {
        if (k <= 0 || k >= scores.length) {
            return;
        }
        float[] sorted = scores.clone();
        java.util.Arrays.sort(sorted);
        float kth = sorted[sorted.length - k];
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] < kth) {
                scores[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /**
     * Nucleus filter: sort descending, cumulative softmax; remove positions whose cumulative probability exceeds p,
     * shifted by one so the crossing token stays and the top token always stays.
     */
    public static void topP(float[] scores, double p) {
        if (p >= 1.0) {
            return;
        }
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Float.compare(scores[b], scores[a]));
        float max = scores[order[0]];
        double[] e = new double[order.length];
        double sum = 0;
        for (int i = 0; i < order.length; i++) {
            float s = scores[order[i]];
            e[i] = s == Float.NEGATIVE_INFINITY ? 0 : Math.exp((double) s - max);
            sum += e[i];
        }
        double cum = 0;
        boolean removePrev = false;
        for (int i = 0; i < order.length; i++) {
            cum += e[i] / sum;
            boolean remove = removePrev; // shifted right by one
            removePrev = (float) cum > (float) p;
            if (i > 0 && remove) {
                scores[order[i]] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /** Index of the largest score (the first on ties, as torch.argmax). */
    public static int argmax(float[] scores) {
        int best = 0;
        for (int i = 1; i < scores.length; i++) {
            if (scores[i] > scores[best]) {
                best = i;
            }
        }
        return best;
    }
}

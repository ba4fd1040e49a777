package org.blip4j.eval;

/**
 * NLVR2 accuracy as BLIP's {@code train_nlvr.py} {@code evaluate} logs it: the fraction (0..1) of pairs whose
 * predicted class (argmax of the two logits) equals the label; the paper reports it ×100.
 */
public final class NlvrAccuracy {
    private NlvrAccuracy() {}

    /** Fraction of {@code predictions[i] == labels[i]}. */
    public static double accuracy(int[] predictions, int[] labels) {
        if (predictions.length != labels.length || predictions.length == 0) {
            throw new IllegalArgumentException("need equally many (>0) predictions and labels");
        }
        int hits = 0;
        for (int i = 0; i < labels.length; i++) {
            if (predictions[i] == labels[i]) {
                hits++;
            }
        }
        return (double) hits / labels.length;
    }

    /** Accuracy from per-pair logits {@code [n][2]}: the prediction is the index of the larger logit (0 on a tie). */
    public static double accuracy(float[][] logits, int[] labels) {
        int[] predictions = new int[logits.length];
        for (int i = 0; i < logits.length; i++) {
            predictions[i] = logits[i][1] > logits[i][0] ? 1 : 0;
        }
        return accuracy(predictions, labels);
    }
}

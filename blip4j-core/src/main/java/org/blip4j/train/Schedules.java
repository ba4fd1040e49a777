package org.blip4j.train;

/**
 * BLIP's learning-rate schedules and the ITC alpha ramps, mirrors {@code utils.py} ({@code cosine_lr_schedule},
 * {@code warmup_lr_schedule}, {@code step_lr_schedule}) and the inline ramps of {@code pretrain.py} and
 * {@code train_retrieval.py}. Pure functions of the step/epoch, in double precision as Python computes them.
 */
public final class Schedules {
    private Schedules() {}

    /** Fine-tuning: set once per epoch before training it. */
    public static double cosine(int epoch, int maxEpoch, double initLr, double minLr) {
        return (initLr - minLr) * 0.5 * (1.0 + Math.cos(Math.PI * epoch / maxEpoch)) + minLr;
    }

    /** Pre-training warm-up, every iteration of epoch 0: min(maxLr, initLr + (maxLr − initLr)·step/maxStep). */
    public static double warmup(long step, long maxStep, double initLr, double maxLr) {
        return Math.min(maxLr, initLr + (maxLr - initLr) * step / maxStep);
    }

    /** Pre-training step decay at the start of each epoch: max(minLr, initLr·rate^epoch). */
    public static double step(int epoch, double initLr, double minLr, double decayRate) {
        return Math.max(minLr, initLr * Math.pow(decayRate, epoch));
    }

    /** pretrain.py: alpha·min(1, (epoch·len + i) / (2·len)) — a ramp over the first two epochs. */
    public static double pretrainAlpha(double alpha, int epoch, long i, long itersPerEpoch) {
        return alpha * Math.min(1.0, (double) (epoch * itersPerEpoch + i) / (2.0 * itersPerEpoch));
    }

    /** train_retrieval.py: alpha·min(1, i/len) during epoch 0, then alpha. */
    public static double retrievalAlpha(double alpha, int epoch, long i, long itersPerEpoch) {
        return epoch > 0 ? alpha : alpha * Math.min(1.0, (double) i / itersPerEpoch);
    }
}

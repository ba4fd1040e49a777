package org.blip4j.data;

import java.util.List;
import java.util.SplittableRandom;
import org.blip4j.image.RgbImage;

/**
 * Mirrors {@code RandomAugment(N, M, isPIL=True, augs=[...])} of BLIP's {@code transform/randaugment.py}: N ops are
 * drawn uniformly with replacement from the list, and each is applied with probability 0.5 (skipped when
 * {@code random() > 0.5}) at magnitude M (MAX_LEVEL 10).
 *
 * <p>Arguments at level M, as the reference's {@code *_level_to_args}: Brightness/Sharpness factor {@code (M/10) *
 * 1.8 + 0.1} (exactly 1.0, the identity, at BLIP's M = 5); ShearX/Y {@code (M/10) * 0.3} (0.15 at M = 5);
 * TranslateX/Y {@code (M/10) * 10} pixels (5); Rotate {@code (M/10) * 30} degrees (15). Shear and translate are
 * negated when {@code random() > 0.5}, rotate when {@code random() < 0.5}, and that sign is drawn only for an op that
 * is applied, as in the reference. The affine ops use {@link WarpAffine} (cv2's INTER_LINEAR, fill 128,128,128);
 * AutoContrast and Equalize are {@link AugmentOps}. Draws come from a {@link SplittableRandom}, not numpy's, so the
 * same distribution is sampled but not the same draws. Immutable and thread-safe.
 *
 * @param n number of ops drawn per image (BLIP: 2)
 * @param magnitude level M in 0..10 (BLIP: 5)
 * @param ops the candidate list (BLIP: {@link #BLIP_OPS})
 * @param referenceAutoContrast true to reproduce the reference's uint8-wrap AutoContrast bit for bit (see
 *     {@link AugmentOps#autoContrast}), false for the intended PIL-style stretch
 */
public record RandomAugment(int n, double magnitude, List<Op> ops, boolean referenceAutoContrast) {
    /** randaugment.py's MAX_LEVEL. */
    public static final double MAX_LEVEL = 10;
    /** randaugment.py's translate_const. */
    public static final double TRANSLATE_CONST = 10;
    /** randaugment.py's replace_value, the fill of the affine ops. */
    private static final int[] FILL = {128, 128, 128};

    /** The ops of the reference's {@code arg_dict} that BLIP's train transform lists. */
    public enum Op {
        IDENTITY,
        AUTO_CONTRAST,
        BRIGHTNESS,
        SHARPNESS,
        EQUALIZE,
        SHEAR_X,
        SHEAR_Y,
        TRANSLATE_X,
        TRANSLATE_Y,
        ROTATE
    }

    /** BLIP's list, in its order: Identity, AutoContrast, Brightness, Sharpness, Equalize, ShearX, ShearY, ... */
    public static final List<Op> BLIP_OPS = List.of(Op.values());

    public RandomAugment {
        ops = List.copyOf(ops);
        if (n < 0 || ops.isEmpty() || !(magnitude >= 0 && magnitude <= MAX_LEVEL)) {
            throw new IllegalArgumentException("need n >= 0, a non-empty op list and 0 <= magnitude <= 10; got n=" + n
                    + ", magnitude=" + magnitude + ", ops=" + ops);
        }
    }

    /** BLIP's {@code RandomAugment(2, 5, isPIL=True, augs=[...])} with the reference-exact AutoContrast. */
    public static RandomAugment blip() {
        return new RandomAugment(2, 5, BLIP_OPS, true);
    }

    /** Draws the ops and applies the selected ones ({@code RandomAugment.__call__}). */
    public RgbImage apply(RgbImage img, SplittableRandom rng) {
        Op[] drawn = new Op[n];
        for (int i = 0; i < n; i++) { // np.random.choice(self.augs, self.N)
            drawn[i] = ops.get(rng.nextInt(ops.size()));
        }
        for (Op op : drawn) {
            if (rng.nextDouble() > 0.5) {
                continue;
            }
            img = apply(op, img, rng);
        }
        return img;
    }

    /** Applies one op at this magnitude, drawing its sign from {@code rng} where the op has one. */
    public RgbImage apply(Op op, RgbImage img, SplittableRandom rng) {
        double level = magnitude / MAX_LEVEL;
        return switch (op) {
            case IDENTITY -> img;
            case AUTO_CONTRAST -> AugmentOps.autoContrast(img, referenceAutoContrast);
            case EQUALIZE -> AugmentOps.equalize(img);
            case BRIGHTNESS -> AugmentOps.brightness(img, level * 1.8 + 0.1);
            case SHARPNESS -> AugmentOps.sharpness(img, level * 1.8 + 0.1);
            case SHEAR_X -> WarpAffine.warp(img, WarpAffine.shearX((float) signed(level * 0.3, rng)), FILL);
            case SHEAR_Y -> WarpAffine.warp(img, WarpAffine.shearY((float) signed(level * 0.3, rng)), FILL);
            case TRANSLATE_X ->
                WarpAffine.warp(img, WarpAffine.translateX((float) signed(level * TRANSLATE_CONST, rng)), FILL);
            case TRANSLATE_Y ->
                WarpAffine.warp(img, WarpAffine.translateY((float) signed(level * TRANSLATE_CONST, rng)), FILL);
            case ROTATE -> {
                double deg = level * 30;
                if (rng.nextDouble() < 0.5) {
                    deg = -deg;
                }
                yield WarpAffine.warp(img, WarpAffine.rotation(img.width(), img.height(), deg), FILL);
            }
        };
    }

    private static double signed(double v, SplittableRandom rng) {
        return rng.nextDouble() > 0.5 ? -v : v;
    }
}

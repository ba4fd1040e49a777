package org.blip4j.data;

import java.util.SplittableRandom;
import org.blip4j.image.ImageLoader;
import org.blip4j.image.ImageProcessor;
import org.blip4j.image.PilResize;
import org.blip4j.image.RgbImage;

/**
 * Mirrors BLIP's {@code transform_train} in {@code data/__init__.py}: {@code RandomResizedCrop(S, scale=(min_scale,
 * 1.0), interpolation=BICUBIC)}, {@code RandomHorizontalFlip()}, {@code RandomAugment(2, 5, isPIL=True, augs=[...])},
 * {@code ToTensor()}, {@code Normalize(mean, std)}. All randomness is drawn, in that order, from the per-sample
 * {@link SplittableRandom}, so one seed always gives the same bytes. Immutable and thread-safe.
 */
public final class TrainTransform implements ImageTransform {
    private final RandomResizedCrop crop;
    private final double flipProbability;
    private final RandomAugment augment;
    private final ImageProcessor tensor;

    /**
     * @param crop the random resized crop (its size is the output size)
     * @param flipProbability probability of a horizontal flip (0.5 in BLIP)
     * @param augment the RandAugment step, or null to skip it
     * @param mean per-channel normalisation mean
     * @param std per-channel normalisation std
     */
    public TrainTransform(
            RandomResizedCrop crop, double flipProbability, RandomAugment augment, float[] mean, float[] std) {
        if (!(flipProbability >= 0 && flipProbability <= 1)) {
            throw new IllegalArgumentException("flipProbability must be in [0, 1], got " + flipProbability);
        }
        this.crop = crop;
        this.flipProbability = flipProbability;
        this.augment = augment;
        this.tensor = new ImageProcessor(
                crop.size(),
                crop.size(),
                false,
                PilResize.Filter.BICUBIC,
                true,
                1.0 / 255.0,
                true,
                mean,
                std,
                ImageLoader.defaults());
    }

    /** BLIP's fine-tuning transform (caption, retrieval, VQA, NLVR): scale (0.5, 1.0). */
    public static TrainTransform fineTune(int size) {
        return blip(size, 0.5);
    }

    /** BLIP's pre-training transform: scale (0.2, 1.0). */
    public static TrainTransform pretrain(int size) {
        return blip(size, 0.2);
    }

    /** BLIP's transform with the given crop scale lower bound ({@code config['image_size']}, {@code min_scale}). */
    public static TrainTransform blip(int size, double minScale) {
        return new TrainTransform(
                RandomResizedCrop.of(size, minScale),
                0.5,
                RandomAugment.blip(),
                ImageProcessor.BLIP_MEAN,
                ImageProcessor.BLIP_STD);
    }

    /** The same transform with another RandAugment step (null: none). */
    public TrainTransform withAugment(RandomAugment augment) {
        return new TrainTransform(crop, flipProbability, augment, tensor.mean(), tensor.std());
    }

    public RandomResizedCrop crop() {
        return crop;
    }

    public double flipProbability() {
        return flipProbability;
    }

    /** The RandAugment step, or null. */
    public RandomAugment augment() {
        return augment;
    }

    /** The uint8 part of the pipeline (crop + resize, flip, RandAugment), before ToTensor. */
    public RgbImage augmentImage(RgbImage image, SplittableRandom rng) {
        RgbImage img = crop.apply(image, rng);
        if (rng.nextDouble() < flipProbability) { // torch.rand(1) < p
            img = AugmentOps.flipHorizontal(img);
        }
        if (augment != null) {
            img = augment.apply(img, rng);
        }
        return img;
    }

    @Override
    public Pixels apply(RgbImage image, SplittableRandom rng) {
        RgbImage img = augmentImage(image, rng);
        return new Pixels(img.height(), img.width(), tensor.toTensor(img));
    }
}

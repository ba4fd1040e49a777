package org.blip4j.data;

import java.util.SplittableRandom;
import org.blip4j.image.ImageProcessor;
import org.blip4j.image.RgbImage;

/**
 * A per-sample image transform from decoded RGB to normalised CHW floats, the counterpart of the {@code transform}
 * argument of BLIP's datasets ({@code transform_train} / {@code transform_test} in {@code data/__init__.py}).
 * Randomness comes only from {@code rng}, so a sample's result depends on its seed, not on thread scheduling.
 * Implementations must be thread-safe (the loader calls them from several workers).
 */
@FunctionalInterface
public interface ImageTransform {
    /** Transforms one image; random transforms draw from {@code rng} only. */
    Pixels apply(RgbImage image, SplittableRandom rng);

    /** BLIP's test transform (Pillow bicubic resize to S x S, ToTensor, Normalize); ignores {@code rng}. */
    static ImageTransform test(ImageProcessor processor) {
        return (image, rng) -> {
            RgbImage r = processor.resize(image);
            return new Pixels(r.height(), r.width(), processor.toTensor(r));
        };
    }

    /** {@link #test(ImageProcessor)} with {@link ImageProcessor#blip(int)}. */
    static ImageTransform test(int size) {
        return test(ImageProcessor.blip(size));
    }
}

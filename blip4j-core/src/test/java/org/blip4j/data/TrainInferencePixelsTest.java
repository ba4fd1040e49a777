package org.blip4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;
import org.blip4j.image.ImageProcessor;
import org.blip4j.image.RgbImage;
import org.blip4j.shapes.ShapesStream;
import org.junit.jupiter.api.Test;

/**
 * With no crop (min_scale 1 on a square image), no flip and no RandAugment, the training transform must hand the
 * model exactly the pixels inference does — same layout (CHW), resize and normalisation — or a model trained on one
 * would be evaluated on another.
 */
class TrainInferencePixelsTest {
    @Test
    void trainingAndInferencePixelsAgreeWithoutAugmentation() {
        for (int side : new int[] {96, 80, 128}) {
            RgbImage img = new ShapesStream(4, side, side, 0, 4, 0)
                    .draw(new SplittableRandom(side))
                    .image();
            TrainTransform t = new TrainTransform(
                    RandomResizedCrop.of(96, 1.0), 0, null, ImageProcessor.BLIP_MEAN, ImageProcessor.BLIP_STD);
            float[] train = t.apply(img, new SplittableRandom(1)).chw();
            float[] infer = ImageProcessor.blip(96).process(img);
            assertArrayEquals(infer, train, 1e-6f, "side " + side);
        }
    }
}

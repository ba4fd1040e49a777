package org.blip4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.blip4j.image.ImageProcessor;
import org.blip4j.image.RgbImage;
import org.junit.jupiter.api.Test;

class TrainTransformTest {
    @Test
    void sameSeedGivesIdenticalBytes() {
        RgbImage img = DataTestSupport.pattern(61, 47);
        TrainTransform t = TrainTransform.fineTune(24);
        Pixels a = t.apply(img, new SplittableRandom(123));
        Pixels b = t.apply(img, new SplittableRandom(123));
        assertEquals(24, a.height());
        assertEquals(24, a.width());
        assertArrayEquals(a.chw(), b.chw());
        int different = 0;
        for (int s = 0; s < 20; s++) {
            different += Arrays.equals(
                            a.chw(),
                            t.apply(img, new SplittableRandom(1000 + s)).chw())
                    ? 0
                    : 1;
        }
        assertTrue(different >= 19, "other seeds give other crops");
    }

    @Test
    void flipWithProbabilityOneMirrorsTheImage() {
        RgbImage img = DataTestSupport.pattern(10, 10);
        // a crop that always takes the whole square image: scale (1, 1), ratio (1, 1)
        RandomResizedCrop whole = new RandomResizedCrop(10, 1, 1, 1, 1);
        TrainTransform flip = new TrainTransform(whole, 1.0, null, ImageProcessor.BLIP_MEAN, ImageProcessor.BLIP_STD);
        TrainTransform keep = new TrainTransform(whole, 0.0, null, ImageProcessor.BLIP_MEAN, ImageProcessor.BLIP_STD);
        ImageProcessor tensor = ImageProcessor.blip(10);
        assertArrayEquals(
                tensor.toTensor(AugmentOps.flipHorizontal(img)),
                flip.apply(img, new SplittableRandom(5)).chw());
        assertArrayEquals(
                tensor.toTensor(img), keep.apply(img, new SplittableRandom(5)).chw());
        int flipped = 0;
        TrainTransform half = new TrainTransform(whole, 0.5, null, ImageProcessor.BLIP_MEAN, ImageProcessor.BLIP_STD);
        for (int s = 0; s < 1000; s++) {
            flipped += Arrays.equals(
                            half.augmentImage(img, new SplittableRandom(s)).rgb(), img.rgb())
                    ? 0
                    : 1;
        }
        assertTrue(Math.abs(flipped - 500) < 70, "flipped " + flipped + " of 1000");
    }

    @Test
    void cropBoxesRespectScaleAndRatio() {
        RandomResizedCrop rrc = RandomResizedCrop.of(384, 0.5);
        int width = 640;
        int height = 480;
        double minFrac = 1;
        double maxFrac = 0;
        double minRatio = 10;
        double maxRatio = 0;
        SplittableRandom rng = new SplittableRandom(7);
        for (int i = 0; i < 5000; i++) {
            RandomResizedCrop.Box b = rrc.sample(width, height, rng);
            assertTrue(
                    b.top() >= 0 && b.left() >= 0 && b.top() + b.height() <= height && b.left() + b.width() <= width,
                    b.toString());
            double frac = (double) b.width() * b.height() / (width * height);
            double ratio = (double) b.width() / b.height();
            // w and h are rounded to whole pixels, so allow a pixel's worth of slack
            assertTrue(frac >= 0.5 - 0.01 && frac <= 1.0 + 1e-9, "area fraction " + frac);
            assertTrue(ratio >= 0.75 - 0.01 && ratio <= 4.0 / 3 + 0.01, "ratio " + ratio);
            minFrac = Math.min(minFrac, frac);
            maxFrac = Math.max(maxFrac, frac);
            minRatio = Math.min(minRatio, ratio);
            maxRatio = Math.max(maxRatio, ratio);
        }
        assertTrue(minFrac < 0.52 && maxFrac > 0.97, "fractions span [" + minFrac + ", " + maxFrac + "]");
        assertTrue(minRatio < 0.77 && maxRatio > 1.3, "ratios span [" + minRatio + ", " + maxRatio + "]");
        SplittableRandom r2 = new SplittableRandom(9);
        RandomResizedCrop pre = RandomResizedCrop.of(224, 0.2);
        double smallest = 1;
        for (int i = 0; i < 3000; i++) {
            RandomResizedCrop.Box b = pre.sample(width, height, r2);
            smallest = Math.min(smallest, (double) b.width() * b.height() / (width * height));
        }
        assertTrue(smallest < 0.22 && smallest >= 0.19, "pre-training crops reach 0.2, got " + smallest);
    }

    @Test
    void elongatedImagesFallBackToACentredCrop() {
        RandomResizedCrop rrc = RandomResizedCrop.of(32, 0.5);
        // 1000 x 10: no attempt fits; in_ratio 100 > 4/3, so h = 10, w = round(10 * 4/3) = 13, centred
        assertEquals(new RandomResizedCrop.Box(0, 493, 10, 13), rrc.sample(1000, 10, new SplittableRandom(1)));
        assertEquals(new RandomResizedCrop.Box(493, 0, 13, 10), rrc.centerFallback(10, 1000));
        assertEquals(new RandomResizedCrop.Box(0, 0, 90, 100), rrc.centerFallback(100, 90));
    }

    @Test
    void resizedCropMatchesPillow() {
        JsonNode g = DataTestSupport.goldens();
        JsonNode p = g.get("pattern");
        RgbImage base =
                DataTestSupport.pattern(p.get("width").asInt(), p.get("height").asInt());
        assertArrayEquals(
                DataTestSupport.fromHex(
                                base.width(), base.height(), p.get("rgb").asText())
                        .rgb(),
                base.rgb());
        for (JsonNode c : g.get("resized_crop")) {
            int size = c.get("size").asInt();
            RandomResizedCrop.Box box = new RandomResizedCrop.Box(
                    c.get("top").asInt(),
                    c.get("left").asInt(),
                    c.get("height").asInt(),
                    c.get("width").asInt());
            RgbImage out = RandomResizedCrop.resizedCrop(base, box, size);
            assertArrayEquals(
                    DataTestSupport.fromHex(size, size, c.get("rgb").asText()).rgb(), out.rgb(), box.toString());
        }
    }

    @Test
    void presetsFollowBlip() {
        TrainTransform ft = TrainTransform.fineTune(384);
        assertEquals(0.5, ft.crop().minScale());
        assertEquals(1.0, ft.crop().maxScale());
        assertEquals(0.75, ft.crop().minRatio());
        assertEquals(0.2, TrainTransform.pretrain(224).crop().minScale());
        assertEquals(2, ft.augment().n());
        assertEquals(5.0, ft.augment().magnitude());
        assertEquals(RandomAugment.BLIP_OPS, ft.augment().ops());
        assertEquals(0.5, ft.flipProbability());
        assertFalse(ft.withAugment(null).augment() != null);
    }
}

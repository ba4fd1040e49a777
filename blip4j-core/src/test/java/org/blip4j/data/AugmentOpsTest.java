package org.blip4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.SplittableRandom;
import org.blip4j.image.RgbImage;
import org.junit.jupiter.api.Test;

class AugmentOpsTest {
    private static RgbImage rgb(int w, int h, int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) values[i];
        }
        return new RgbImage(w, h, b);
    }

    private static int[] ints(RgbImage img) {
        int[] out = new int[img.rgb().length];
        for (int i = 0; i < out.length; i++) {
            out[i] = img.rgb()[i] & 0xff;
        }
        return out;
    }

    @Test
    void flipMirrorsColumns() {
        RgbImage img = DataTestSupport.pattern(5, 3);
        RgbImage f = AugmentOps.flipHorizontal(img);
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 5; x++) {
                assertEquals(img.rgbAt(4 - x, y), f.rgbAt(x, y));
            }
        }
        assertArrayEquals(img.rgb(), AugmentOps.flipHorizontal(f).rgb());
    }

    @Test
    void autoContrastByHand() {
        // R: min 50 max 150; G: min 0 max 200; B: constant
        RgbImage img = rgb(3, 1, 50, 0, 77, 100, 100, 77, 150, 200, 77);
        // intended (PIL.ImageOps.autocontrast gives the same): scale 2.55 / 1.275, truncated
        assertArrayEquals(new int[] {0, 0, 77, 127, 127, 77, 255, 254, 77}, ints(AugmentOps.autoContrast(img, false)));
        // the reference negates low as a numpy uint8: a channel with min > 0 becomes all 255
        assertArrayEquals(new int[] {255, 0, 77, 255, 127, 77, 255, 254, 77}, ints(AugmentOps.autoContrast(img, true)));
    }

    @Test
    void equalizeByHand() {
        // 256 pixels: 128 x 0, 127 x 100, 1 x 200 -> step = (128 + 127) // 255 = 1
        RgbImage img = DataTestSupport.grey(16, 16, (x, y) -> y * 16 + x < 128 ? 0 : y * 16 + x < 255 ? 100 : 200);
        RgbImage eq = AugmentOps.equalize(img);
        assertEquals(0, eq.get(0, 0, 0));
        assertEquals(128, eq.get(0, 8, 1));
        assertEquals(255, eq.get(15, 15, 2));
        // fewer than 255 pixels outside the top bin: step 0, unchanged
        RgbImage small = DataTestSupport.pattern(7, 5);
        assertArrayEquals(small.rgb(), AugmentOps.equalize(small).rgb());
    }

    @Test
    void autoContrastAndEqualizeMatchTheReferenceNumpyCode() {
        JsonNode ops = DataTestSupport.goldens().get("ops");
        assertEquals(4, ops.size());
        for (JsonNode c : ops) {
            int w = c.get("width").asInt();
            int h = c.get("height").asInt();
            RgbImage img = DataTestSupport.fromHex(w, h, c.get("rgb").asText());
            String name = c.get("name").asText();
            assertArrayEquals(
                    DataTestSupport.fromHex(w, h, c.get("autocontrast").asText())
                            .rgb(),
                    AugmentOps.autoContrast(img, true).rgb(),
                    "autocontrast " + name);
            assertArrayEquals(
                    DataTestSupport.fromHex(w, h, c.get("equalize").asText()).rgb(),
                    AugmentOps.equalize(img).rgb(),
                    "equalize " + name);
        }
    }

    @Test
    void brightnessAndSharpnessAreIdentitiesAtMagnitudeFive() {
        RgbImage img = DataTestSupport.pattern(9, 7);
        RandomAugment ra = RandomAugment.blip();
        assertSame(img, ra.apply(RandomAugment.Op.BRIGHTNESS, img, new SplittableRandom(1)));
        assertSame(img, ra.apply(RandomAugment.Op.SHARPNESS, img, new SplittableRandom(1)));
        assertSame(img, ra.apply(RandomAugment.Op.IDENTITY, img, new SplittableRandom(1)));
    }

    @Test
    void brightnessAndSharpnessAtOtherFactors() {
        RgbImage img = rgb(2, 1, 0, 1, 101, 200, 255, 3);
        assertArrayEquals(new int[] {0, 0, 50, 100, 127, 1}, ints(AugmentOps.brightness(img, 0.5)));
        assertArrayEquals(new int[] {0, 1, 151, 255, 255, 4}, ints(AugmentOps.brightness(img, 1.5)));
        RgbImage flat = DataTestSupport.grey(5, 5, (x, y) -> 90);
        assertArrayEquals(flat.rgb(), AugmentOps.sharpness(flat, 1.9).rgb());
        // a single bright pixel in the middle: smoothed value d = round(5 * 200 / 13) = 77, out = d + 0.1 (200 - d)
        RgbImage dot = DataTestSupport.grey(3, 3, (x, y) -> x == 1 && y == 1 ? 200 : 0);
        RgbImage s = AugmentOps.sharpness(dot, 0.1);
        assertEquals((int) (77f + 0.1f * (200f - 77f)), s.get(1, 1, 0));
        assertEquals(0, s.get(0, 0, 0)); // the border keeps its values
    }

    @Test
    void randomAugmentAppliesEachDrawnOpWithProbabilityHalf() {
        RgbImage img = DataTestSupport.pattern(16, 12);
        RandomAugment onlyTranslate = new RandomAugment(1, 5, java.util.List.of(RandomAugment.Op.TRANSLATE_X), true);
        int changed = 0;
        int trials = 2000;
        for (int i = 0; i < trials; i++) {
            RgbImage out = onlyTranslate.apply(img, new SplittableRandom(i));
            if (out != img) {
                changed++;
                boolean left = out.rgbAt(0, 0) == img.rgbAt(5, 0);
                boolean right = out.rgbAt(5, 0) == img.rgbAt(0, 0);
                assertTrue(left || right, "translate by +-5 px");
            }
        }
        assertTrue(Math.abs(changed - trials / 2) < 150, "applied " + changed + " of " + trials);
        RandomAugment two = RandomAugment.blip();
        RgbImage a = two.apply(img, new SplittableRandom(42));
        RgbImage b = two.apply(img, new SplittableRandom(42));
        assertArrayEquals(a.rgb(), b.rgb());
        int differ = 0;
        for (int i = 0; i < 50; i++) {
            differ += java.util.Arrays.equals(
                            two.apply(img, new SplittableRandom(i)).rgb(), img.rgb())
                    ? 0
                    : 1;
        }
        assertNotEquals(0, differ);
    }
}

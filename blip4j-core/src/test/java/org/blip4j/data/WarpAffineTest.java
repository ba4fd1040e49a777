package org.blip4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.blip4j.image.RgbImage;
import org.junit.jupiter.api.Test;

class WarpAffineTest {
    private static final int[] FILL = {128, 128, 128};

    private static RgbImage ramp(int w, int h) {
        return DataTestSupport.grey(w, h, (x, y) -> 40 * x + 7 * y + 1);
    }

    @Test
    void integerTranslationsShiftExactlyAndFill() {
        RgbImage src = ramp(5, 3);
        RgbImage left = WarpAffine.warp(src, WarpAffine.translateX(2f), FILL);
        RgbImage right = WarpAffine.warp(src, WarpAffine.translateX(-2f), FILL);
        RgbImage up = WarpAffine.warp(src, WarpAffine.translateY(1f), FILL);
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 5; x++) {
                for (int c = 0; c < 3; c++) {
                    assertEquals(x + 2 < 5 ? src.get(x + 2, y, c) : 128, left.get(x, y, c), "left " + x + "," + y);
                    assertEquals(x - 2 >= 0 ? src.get(x - 2, y, c) : 128, right.get(x, y, c), "right " + x + "," + y);
                    assertEquals(y + 1 < 3 ? src.get(x, y + 1, c) : 128, up.get(x, y, c), "up " + x + "," + y);
                }
            }
        }
    }

    @Test
    void shearByHalfAveragesNeighboursWithFixedPointRounding() {
        RgbImage src = ramp(4, 3);
        RgbImage out = WarpAffine.warp(src, WarpAffine.shearX(0.5f), FILL);
        for (int x = 0; x < 4; x++) {
            assertEquals(src.get(x, 0, 0), out.get(x, 0, 0)); // row 0: unchanged
            int l = x >= 1 ? src.get(x - 1, 1, 0) : 128; // row 1: source x - 0.5
            assertEquals((l + src.get(x, 1, 0) + 1) >> 1, out.get(x, 1, 1), "row 1, x " + x);
            assertEquals(x >= 1 ? src.get(x - 1, 2, 0) : 128, out.get(x, 2, 2), "row 2, x " + x); // source x - 1
        }
        RgbImage vert = WarpAffine.warp(src, WarpAffine.shearY(1f), FILL); // source y = y - x
        assertEquals(src.get(2, 0, 0), vert.get(2, 2, 0));
        assertEquals(128, vert.get(3, 0, 0));
    }

    @Test
    void rotationByHalfTurnAboutTheCentrePoint() {
        RgbImage src = ramp(4, 4);
        RgbImage out = WarpAffine.warp(src, WarpAffine.rotation(4, 4, 180), FILL);
        // cv2 rotates about (W/2, H/2) = (2, 2): destination (x, y) samples source (4 - x, 4 - y)
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                int expected = x >= 1 && y >= 1 ? src.get(4 - x, 4 - y, 0) : 128;
                assertEquals(expected, out.get(x, y, 0), "at " + x + "," + y);
            }
        }
    }

    @Test
    void smallRotationKeepsTheCentreAndFillsCorners() {
        RgbImage src = DataTestSupport.grey(41, 41, (x, y) -> 200);
        RgbImage out = WarpAffine.warp(src, WarpAffine.rotation(41, 41, 15), FILL);
        assertEquals(200, out.get(20, 20, 0));
        assertEquals(128, out.get(0, 0, 0));
        assertEquals(128, out.get(40, 40, 2));
    }

    @Test
    void matchesOpenCvGoldens() {
        com.fasterxml.jackson.databind.JsonNode g = DataTestSupport.goldens();
        java.util.Map<String, RgbImage> images = new java.util.HashMap<>();
        images.put("pattern", DataTestSupport.pattern(37, 29));
        for (com.fasterxml.jackson.databind.JsonNode c : g.get("ops")) {
            images.put(
                    c.get("name").asText(),
                    DataTestSupport.fromHex(
                            c.get("width").asInt(),
                            c.get("height").asInt(),
                            c.get("rgb").asText()));
        }
        int checked = 0;
        for (com.fasterxml.jackson.databind.JsonNode c : g.get("warps")) {
            RgbImage img = images.get(c.get("image").asText());
            double a = c.get("arg").asDouble();
            RgbImage out = switch (c.get("op").asText()) {
                case "shear_x" -> WarpAffine.warp(img, WarpAffine.shearX((float) a), FILL);
                case "shear_y" -> WarpAffine.warp(img, WarpAffine.shearY((float) a), FILL);
                case "translate_x" -> WarpAffine.warp(img, WarpAffine.translateX((float) a), FILL);
                case "translate_y" -> WarpAffine.warp(img, WarpAffine.translateY((float) a), FILL);
                case "rotate" -> WarpAffine.warp(img, WarpAffine.rotation(img.width(), img.height(), a), FILL);
                case "brightness" -> AugmentOps.brightness(img, a);
                case "sharpness" -> AugmentOps.sharpness(img, a);
                default -> throw new IllegalStateException(c.get("op").asText());
            };
            String what =
                    c.get("op").asText() + "(" + a + ") on " + c.get("image").asText();
            org.junit.jupiter.api.Assertions.assertArrayEquals(
                    DataTestSupport.fromHex(
                                    img.width(), img.height(), c.get("rgb").asText())
                            .rgb(),
                    out.rgb(),
                    what);
            checked++;
        }
        assertEquals(34, checked);
    }

    @Test
    void inversionMatchesOpenCv() {
        double[] a = WarpAffine.invert(new double[] {2, 0, 4, 0, 0.5, -1});
        assertEquals(0.5, a[0]);
        assertEquals(-2.0, a[2]);
        assertEquals(2.0, a[4]);
        assertEquals(2.0, a[5]);
    }
}

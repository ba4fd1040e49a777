package org.blip4j.testutil;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.blip4j.image.RgbImage;

/** Images of random pixels, for tests that compare two ways of computing the same model output. */
public final class TestImages {
    private TestImages() {}

    /** {@code n} images of {@code width} × {@code height} random RGB pixels, drawn in order from {@code seed}. */
    public static List<RgbImage> random(int n, int width, int height, long seed) {
        Random rnd = new Random(seed);
        List<RgbImage> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] px = new byte[width * height * 3];
            rnd.nextBytes(px);
            out.add(new RgbImage(width, height, px));
        }
        return out;
    }
}

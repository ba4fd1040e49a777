package org.blip4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** ITM's mined negatives skip the pairs a world says hold ({@code train_stream.skip_true_negatives}). */
class KnownTrueNegativesTest {
    @Test
    void knownTruePairsGetNoWeightInEitherDirection() {
        // 3 images, 3 texts; diagonal already 0 (BLIP masks a pair's own text and image)
        float[][] t2i = {{0, 1, 2}, {3, 0, 4}, {5, 6, 0}}; // row: text, column: image
        float[][] i2t = {{0, 7, 8}, {9, 0, 10}, {11, 12, 0}}; // row: image, column: text
        boolean[][] holds = new boolean[3][3]; // [image][text]
        holds[0][2] = true; // text 2 holds for image 0
        holds[1][0] = true; // text 0 holds for image 1
        float[][][] m = Itc.maskKnownTrue(t2i, i2t, holds);
        // text 2 must not draw image 0; text 0 must not draw image 1
        assertArrayEquals(new float[] {0, 0, 2}, m[0][0]);
        assertArrayEquals(new float[] {3, 0, 4}, m[0][1]);
        assertArrayEquals(new float[] {0, 6, 0}, m[0][2]);
        // image 0 must not draw text 2; image 1 must not draw text 0
        assertArrayEquals(new float[] {0, 7, 0}, m[1][0]);
        assertArrayEquals(new float[] {0, 0, 10}, m[1][1]);
        assertArrayEquals(new float[] {11, 12, 0}, m[1][2]);
        // the inputs are left as they were
        assertEquals(2f, t2i[0][2]);
        assertEquals(8f, i2t[0][2]);
        // a seeded draw never lands on a masked pair
        NegativeSampler s = NegativeSampler.seeded(5);
        for (int k = 0; k < 200; k++) {
            assertTrue(s.draw(m[1][0]) == 1);
            assertTrue(s.draw(m[0][2]) == 1);
        }
    }

    @Test
    void aRowWithNothingFalseLeftKeepsBlipsDraw() {
        float[][] t2i = {{0, 1}, {2, 0}};
        float[][] i2t = {{0, 3}, {4, 0}};
        boolean[][] holds = {{false, true}, {false, false}}; // text 1 holds for image 0: image 0 has no false text
        float[][][] m = Itc.maskKnownTrue(t2i, i2t, holds);
        // image 0's only candidate text holds for it, and text 1's only candidate image is image 0: nothing false is
        // left to draw, so both rows keep their weights
        assertArrayEquals(new float[] {0, 3}, m[1][0]);
        assertArrayEquals(new float[] {2, 0}, m[0][1]);
        // rows with something false left are masked as usual
        assertArrayEquals(new float[] {0, 1}, m[0][0]);
        assertArrayEquals(new float[] {4, 0}, m[1][1]);
    }

    @Test
    void knownTrueShapesAreChecked() {
        Exception e = assertThrows(
                IllegalArgumentException.class,
                () -> new TextNegatives(null, null, new boolean[2], new boolean[][] {{false, false}}));
        assertTrue(e.getMessage().contains("1 rows for 2 images"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class, () -> new TextNegatives(null, null, new boolean[] {true, false}, null));
        assertTrue(e.getMessage().contains("no texts"), e.getMessage());
    }
}

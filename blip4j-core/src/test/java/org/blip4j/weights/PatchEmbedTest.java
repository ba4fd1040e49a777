package org.blip4j.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.blip4j.engine.T;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/** A resized patch projection projects a larger patch exactly as the old one projected its area-resized version. */
class PatchEmbedTest {
    @Test
    void areaMatrixAveragesWhatEachOldPixelCovers() {
        double[][] m = PatchEmbed.areaMatrix(2, 3); // 3 new pixels onto 2 old ones: [1, .5, 0] and [0, .5, 1] / 1.5
        assertArrayEquals(new double[] {2 / 3.0, 1 / 3.0, 0}, m[0], 1e-12);
        assertArrayEquals(new double[] {0, 1 / 3.0, 2 / 3.0}, m[1], 1e-12);
        for (int[] pq : new int[][] {{8, 12}, {12, 8}, {16, 8}, {7, 9}}) {
            for (double[] row : PatchEmbed.areaMatrix(pq[0], pq[1])) {
                assertEquals(1.0, java.util.Arrays.stream(row).sum(), 1e-12, "rows sum to 1");
            }
        }
    }

    @Test
    void aLargerPatchProjectsAsItsDownsampledVersionDid() {
        int o = 3, c = 2, p = 4, q = 6;
        SplittableRandom rnd = new SplittableRandom(7);
        float[] w = new float[o * c * p * p];
        float[] x = new float[c * q * q];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextDouble();
        }
        double[][] m = PatchEmbed.areaMatrix(p, q);
        try (PointerScope scope = new PointerScope()) {
            float[] w2 = T.toFloats(PatchEmbed.resize(T.floats(w, o, c, p, p), q));
            assertEquals(o * c * q * q, w2.length);
            for (int oo = 0; oo < o; oo++) {
                double direct = 0; // <x, w'>
                double down = 0; // <M x Mᵀ, w>, the downsampled patch through the old weight
                for (int cc = 0; cc < c; cc++) {
                    for (int a = 0; a < q; a++) {
                        for (int b = 0; b < q; b++) {
                            direct += x[(cc * q + a) * q + b] * w2[((oo * c + cc) * q + a) * q + b];
                        }
                    }
                    for (int i = 0; i < p; i++) {
                        for (int j = 0; j < p; j++) {
                            double v = 0;
                            for (int a = 0; a < q; a++) {
                                for (int b = 0; b < q; b++) {
                                    v += m[i][a] * m[j][b] * x[(cc * q + a) * q + b];
                                }
                            }
                            down += v * w[((oo * c + cc) * p + i) * p + j];
                        }
                    }
                }
                assertEquals(down, direct, 1e-4, "output channel " + oo);
            }
            Tensor same = T.floats(w, o, c, p, p);
            assertArrayEquals(w, T.toFloats(PatchEmbed.resize(same, p)), "same size: unchanged");
            assertThrows(IllegalArgumentException.class, () -> PatchEmbed.resize(T.floats(w, o * c, p, p), q));
        }
    }
}

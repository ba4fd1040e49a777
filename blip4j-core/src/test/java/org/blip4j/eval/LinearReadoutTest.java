package org.blip4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The linear read-out probe: R² 1 for a target that is a linear function of the features, about 0 for noise. */
class LinearReadoutTest {
    private static double[][] features(int n, int d, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] x = new double[n][d];
        for (double[] row : x) {
            for (int j = 0; j < d; j++) {
                row[j] = rng.nextGaussian();
            }
        }
        return x;
    }

    @Test
    void aLinearTargetIsReadBackExactly() {
        double[][] x = features(400, 6, 1);
        double[] y = new double[x.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = 2 * x[i][0] - x[i][3] + 3; // weights 2 and -1, intercept 3
        }
        assertEquals(1.0, LinearReadout.r2(x, y, 300, 1e-9), 1e-6);
        // a constant feature column (no variance) and the penalty leave it near 1
        for (double[] row : x) {
            row[5] = 0;
        }
        assertTrue(LinearReadout.r2(x, y, 300, 1e-3) > 0.99);
    }

    @Test
    void targetsTheFeaturesDoNotHoldScoreAboutZero() {
        double[][] x = features(2000, 8, 2);
        SplittableRandom rng = new SplittableRandom(3);
        double[] y = new double[x.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = rng.nextGaussian();
        }
        double r2 = LinearReadout.r2(x, y, 1500, 1e-3);
        assertTrue(r2 < 0.03 && r2 > -0.05, "R² " + r2);
        // half signal, half noise of equal variance: R² about 0.5
        for (int i = 0; i < y.length; i++) {
            y[i] = x[i][1] + y[i];
        }
        assertEquals(0.5, LinearReadout.r2(x, y, 1500, 1e-3), 0.06);
    }

    @Test
    void refusesNothingToHoldOut() {
        double[][] x = features(10, 2, 4);
        assertThrows(IllegalArgumentException.class, () -> LinearReadout.r2(x, new double[10], 10, 0));
        assertThrows(IllegalArgumentException.class, () -> LinearReadout.r2(x, new double[9], 5, 0));
    }
}

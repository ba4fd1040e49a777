package org.blip4j.eval;

/**
 * How much of a quantity a linear read-out of features recovers on held-out rows: ridge regression fitted on the first
 * rows, its R² on the rest. A probe of what a network's features hold (here: whether the ViT's patch tokens still know
 * where they lie, which cross-attention needs to pick image tokens by place). Hand-written: a (D+1)² normal-equation
 * solve is all it needs, and no JVM linear-algebra library is on the classpath.
 */
public final class LinearReadout {
    private LinearReadout() {}

    /**
     * R² on rows {@code train … n−1} of the ridge fit (with an intercept, not penalised) of {@code y} on {@code x},
     * fitted on rows {@code 0 … train−1}: 1 when the read-out recovers y exactly, about 0 (or below) when the features
     * say nothing about it.
     *
     * @param ridge the penalty, relative to the mean squared feature (scale-free)
     */
    public static double r2(double[][] x, double[] y, int train, double ridge) {
        int n = x.length;
        if (n != y.length || train < 1 || train >= n) {
            throw new IllegalArgumentException(n + " rows, " + y.length + " targets, " + train + " to fit on");
        }
        int d = x[0].length + 1; // features and the intercept
        double[][] a = new double[d][d + 1]; // [XᵀX + λI | Xᵀy]
        double scale = 0;
        for (int i = 0; i < train; i++) {
            for (int j = 0; j < d - 1; j++) {
                scale += x[i][j] * x[i][j];
            }
        }
        scale /= (double) train * (d - 1);
        double[] row = new double[d];
        for (int i = 0; i < train; i++) {
            System.arraycopy(x[i], 0, row, 0, d - 1);
            row[d - 1] = 1;
            for (int j = 0; j < d; j++) {
                for (int k = j; k < d; k++) {
                    a[j][k] += row[j] * row[k];
                }
                a[j][d] += row[j] * y[i];
            }
        }
        for (int j = 0; j < d; j++) {
            for (int k = 0; k < j; k++) {
                a[j][k] = a[k][j];
            }
            a[j][j] += j < d - 1 ? ridge * scale * train : 0;
        }
        double[] w = solve(a);
        double mean = 0;
        for (int i = train; i < n; i++) {
            mean += y[i];
        }
        mean /= n - train;
        double residual = 0;
        double total = 0;
        for (int i = train; i < n; i++) {
            double p = w[d - 1];
            for (int j = 0; j < d - 1; j++) {
                p += w[j] * x[i][j];
            }
            residual += (y[i] - p) * (y[i] - p);
            total += (y[i] - mean) * (y[i] - mean);
        }
        return total == 0 ? 0 : 1 - residual / total;
    }

    /** Gaussian elimination with partial pivoting of an augmented d × (d+1) system. */
    private static double[] solve(double[][] a) {
        int d = a.length;
        for (int c = 0; c < d; c++) {
            int p = c;
            for (int r = c + 1; r < d; r++) {
                p = Math.abs(a[r][c]) > Math.abs(a[p][c]) ? r : p;
            }
            double[] t = a[c];
            a[c] = a[p];
            a[p] = t;
            if (a[c][c] == 0) {
                continue; // a feature that never varies: its weight stays 0
            }
            for (int r = c + 1; r < d; r++) {
                double f = a[r][c] / a[c][c];
                if (f != 0) {
                    for (int k = c; k <= d; k++) {
                        a[r][k] -= f * a[c][k];
                    }
                }
            }
        }
        double[] w = new double[d];
        for (int c = d - 1; c >= 0; c--) {
            double s = a[c][d];
            for (int k = c + 1; k < d; k++) {
                s -= a[c][k] * w[k];
            }
            w[c] = a[c][c] == 0 ? 0 : s / a[c][c];
        }
        return w;
    }
}

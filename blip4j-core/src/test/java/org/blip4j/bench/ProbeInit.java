package org.blip4j.bench;

import java.util.Map;
import org.blip4j.nn.Block;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * Initialisations tried by the ViT probe (docs/experiments/vit-plateau.md) that did not shorten the shape plateau:
 * 2-D sin-cos position values and mimetic attention. Kept with the probe so the experiment can be repeated.
 */
final class ProbeInit {
    private ProbeInit() {}

    /**
     * Fixed 2-D sine-cosine values (MAE's {@code get_2d_sincos_pos_embed}) as the starting point of a ViT's learned
     * {@code pos_embed} of shape (1, 1 + grid², D): the first D/2 channels encode the row, the rest the column, the
     * class token's row is zero. An initialisation only; the parameter stays learnable and the architecture is BLIP's.
     */
    static void sincosPositions(Tensor posEmbed, int grid) {
        long d = posEmbed.size(2);
        if (d % 4 != 0 || posEmbed.size(1) != 1L + (long) grid * grid) {
            throw new IllegalArgumentException("pos_embed "
                    + java.util.Arrays.toString(posEmbed.sizes().vec().get()) + " does not fit a " + grid + "x" + grid
                    + " grid with a width divisible by 4");
        }
        int quarter = (int) d / 4;
        float[] v = new float[(int) ((1L + (long) grid * grid) * d)];
        for (int r = 0; r < grid; r++) {
            for (int c = 0; c < grid; c++) {
                int base = (int) ((1 + r * grid + c) * d);
                for (int k = 0; k < quarter; k++) {
                    double omega = 1.0 / Math.pow(10000.0, k / (double) quarter);
                    v[base + k] = (float) Math.sin(r * omega); // row: sin, then cos
                    v[base + quarter + k] = (float) Math.cos(r * omega);
                    v[base + 2 * quarter + k] = (float) Math.sin(c * omega); // column: sin, then cos
                    v[base + 3 * quarter + k] = (float) Math.cos(c * omega);
                }
            }
        }
        try (NoGradGuard g = new NoGradGuard()) {
            posEmbed.copy_(org.blip4j.engine.T.floats(v, posEmbed.sizes().vec().get()));
        }
    }

    /**
     * Mimetic initialisation of self-attention (Trockman and Kolter 2023): per head, {@code W_q^T W_k ≈ a1 Z + b1 I}
     * and, over all heads, {@code W_v^T W_proj^T ≈ a2 Z - b2 I} with {@code Z ~ N(0, 1/D)}, factored by SVD, so that
     * a freshly initialised ViT already attends to similar (and, with position embeddings, nearby) tokens, as trained
     * ViTs do. Applies to every fused {@code attn.qkv} / {@code attn.proj} pair in {@code model}; biases stay zero.
     */
    static void mimeticAttention(Block model, int heads, double a1, double b1, double a2, double b2, long seed) {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        Map<String, Tensor> p = model.namedParameters();
        for (Map.Entry<String, Tensor> e : p.entrySet()) {
            if (!e.getKey().endsWith("attn.qkv.weight")) {
                continue;
            }
            Tensor qkv = e.getValue(); // (3D, D)
            Tensor proj = p.get(e.getKey().replace("attn.qkv.weight", "attn.proj.weight")); // (D, D)
            int d = (int) qkv.size(1);
            int hd = d / heads;
            float[] w = new float[3 * d * d];
            for (int h = 0; h < heads; h++) {
                float[][] f = factor(identityPlusNoise(d, a1, b1, rnd), d, hd); // W_q^T W_k ≈ M, rank hd
                for (int i = 0; i < hd; i++) {
                    System.arraycopy(f[0], i * d, w, (h * hd + i) * d, d); // q rows of head h
                    System.arraycopy(f[1], i * d, w, (d + h * hd + i) * d, d); // k rows of head h
                }
            }
            float[][] vp = factor(identityPlusNoise(d, a2, -b2, rnd), d, d); // W_v^T W_proj^T ≈ M
            System.arraycopy(vp[0], 0, w, 2 * d * d, d * d); // W_v
            float[] projT = vp[1]; // rows are W_proj^T's rows: transpose to W_proj
            float[] projW = new float[d * d];
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    projW[j * d + i] = projT[i * d + j];
                }
            }
            try (NoGradGuard g = new NoGradGuard()) {
                qkv.copy_(org.blip4j.engine.T.floats(w, 3L * d, d));
                proj.copy_(org.blip4j.engine.T.floats(projW, d, d));
            }
        }
    }

    private static float[] identityPlusNoise(int d, double a, double b, java.util.SplittableRandom rnd) {
        float[] m = new float[d * d];
        double std = 1.0 / Math.sqrt(d);
        for (int i = 0; i < d * d; i++) {
            m[i] = (float) (a * std * gaussian(rnd) + (i / d == i % d ? b : 0.0));
        }
        return m;
    }

    private static double gaussian(java.util.SplittableRandom rnd) {
        double u = 1.0 - rnd.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2.0 * Math.PI * rnd.nextDouble());
    }

    /** Factors a (d, d) matrix M = U S Vh as A^T B with A = S_r^½ U_r^T, B = S_r^½ Vh_r, both (r, d), row-major. */
    private static float[][] factor(float[] m, int d, int r) {
        try (org.bytedeco.javacpp.PointerScope s = new org.bytedeco.javacpp.PointerScope()) {
            org.bytedeco.pytorch.T_TensorTensorTensor_T usv =
                    org.bytedeco.pytorch.global.torch.linalg_svd(org.blip4j.engine.T.floats(m, d, d));
            float[] u = org.blip4j.engine.T.toFloats(usv.get0().contiguous()); // (d, d)
            float[] sv = org.blip4j.engine.T.toFloats(usv.get1().contiguous()); // (d)
            float[] vh = org.blip4j.engine.T.toFloats(usv.get2().contiguous()); // (d, d)
            float[] a = new float[r * d];
            float[] b = new float[r * d];
            for (int i = 0; i < r; i++) {
                float root = (float) Math.sqrt(sv[i]);
                for (int j = 0; j < d; j++) {
                    a[i * d + j] = root * u[j * d + i];
                    b[i * d + j] = root * vh[i * d + j];
                }
            }
            return new float[][] {a, b};
        }
    }
}

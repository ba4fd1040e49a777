package org.blip4j.weights;

import org.blip4j.engine.T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Resizes a ViT patch projection to another patch size covering the same part of the image, so a model trained at
 * one resolution can start at another with the same token grid (e.g. 8-px patches at 64 px → 12-px patches at 96 px).
 *
 * <p>The new weight {@code w' = Mᵀ w M} (per output channel and colour) with {@code M[i][k] = p · overlap(old pixel
 * i, new pixel k)} in patch coordinates: {@code M x'} is the new patch averaged down (or spread up) to the old pixel
 * grid, so {@code <x', w'> = <M x', w>} — the new patch projects exactly as its area-resized version did in the old
 * model. Constant patches project unchanged. (FlexiViT's pseudo-inverse resize solves the opposite case, an old patch
 * upsampled; here the larger patch is the sharper image.)
 */
public final class PatchEmbed {
    private PatchEmbed() {}

    /** The (p × p') area-resize matrix from a p'-pixel patch row to a p-pixel one: rows sum to 1. */
    static double[][] areaMatrix(int p, int q) {
        double[][] m = new double[p][q];
        for (int i = 0; i < p; i++) {
            double a0 = (double) i / p;
            double a1 = (double) (i + 1) / p;
            for (int k = 0; k < q; k++) {
                double overlap = Math.min(a1, (double) (k + 1) / q) - Math.max(a0, (double) k / q);
                m[i][k] = overlap > 0 ? overlap * p : 0;
            }
        }
        return m;
    }

    /** weight (O, C, p, p) → (O, C, q, q), float32. */
    public static Tensor resize(Tensor weight, long newPatch) {
        if (weight.dim() != 4 || weight.size(2) != weight.size(3)) {
            throw new IllegalArgumentException(
                    "a patch projection is (out, channels, p, p), got " + java.util.Arrays.toString(T.shape(weight)));
        }
        int p = (int) weight.size(2);
        int q = (int) newPatch;
        if (p == q) {
            return weight;
        }
        double[][] m = areaMatrix(p, q);
        float[] flat = new float[p * q];
        for (int i = 0; i < p; i++) {
            for (int k = 0; k < q; k++) {
                flat[i * q + k] = (float) m[i][k];
            }
        }
        Tensor mt = T.floats(flat, p, q); // (p, q)
        Tensor w = weight.to(torch.ScalarType.Float); // (O, C, p, p)
        return torch.matmul(torch.matmul(mt.t(), w), mt); // (q, p) @ (O, C, p, p) @ (p, q) -> (O, C, q, q)
    }
}

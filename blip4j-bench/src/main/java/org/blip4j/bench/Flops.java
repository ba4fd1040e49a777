package org.blip4j.bench;

import org.blip4j.config.VisionConfig;

/** Analytical floating-point operation counts (2 per multiply-accumulate) of the image encoder's matrix products. */
final class Flops {
    private Flops() {}

    /**
     * FLOPs of one image through the ViT: the patch convolution, then per block the fused qkv projection, the two
     * attention products (q·kᵀ and weights·v over all heads), the output projection and the two MLP layers. Layer
     * norms, softmax, GELU and additions are left out (they are O(N·D), under 1% here).
     */
    static double vitPerImage(VisionConfig c) {
        double n = c.numTokens();
        double d = c.hiddenSize();
        double f = c.intermediateSize();
        double patches = (double) c.gridSize() * c.gridSize();
        double patchMacs = patches * d * 3.0 * c.patchSize() * c.patchSize();
        double qkv = n * d * 3 * d;
        double attention = 2 * n * n * d; // q·kᵀ and weights·v, summed over heads
        double proj = n * d * d;
        double mlp = 2 * n * d * f;
        double blockMacs = qkv + attention + proj + mlp;
        return 2 * (patchMacs + c.numLayers() * blockMacs);
    }

    /** FLOPs of an m×k by k×n matrix product. */
    static double matmul(long m, long k, long n) {
        return 2.0 * m * k * n;
    }
}

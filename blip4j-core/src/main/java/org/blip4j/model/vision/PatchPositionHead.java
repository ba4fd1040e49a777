package org.blip4j.model.vision;

import org.blip4j.config.VisionConfig;
import org.blip4j.engine.T;
import org.blip4j.nn.Block;
import org.blip4j.nn.Linear;
import org.bytedeco.pytorch.Tensor;

/**
 * A training-only head that makes every patch token of the ViT name its own row and column of the token grid (not in
 * BLIP: added for the shapes world, docs/shapes.md). Position embeddings are added once, at the ViT's input; nothing in
 * BLIP's objectives asks the output tokens to keep them, and the shapes ViT lost them entirely (a linear read-out of
 * a patch's row or column from its output token explains 1–2 % of the variance), so cross-attention from the text
 * could not pick image tokens by place: "left of", "at the top" were left to chance. With this head's loss the tokens
 * keep where they lie. Inference never reads it; exports drop it.
 */
public final class PatchPositionHead extends Block {
    private final Linear proj;
    private final int grid;

    public PatchPositionHead(VisionConfig c) {
        grid = c.imageSize() / c.patchSize();
        proj = child("proj", new Linear(c.hiddenSize(), 2L * grid)); // row logits, then column logits
    }

    /** Row and column logits of every patch token of {@code embeds} (B, 1+N, D): two (B·N, grid) tensors. */
    public Tensor[] logits(Tensor embeds) {
        Tensor patches = embeds.narrow(1, 1, embeds.size(1) - 1).flatten(0, 1); // (B·N, D)
        Tensor place = proj.forward(patches); // (B·N, 2·grid)
        return new Tensor[] {place.narrow(1, 0, grid), place.narrow(1, grid, grid)};
    }

    /** Cross-entropy of the rows plus that of the columns, each a mean over all patch tokens of the batch. */
    public Tensor loss(Tensor embeds) {
        Tensor[] l = logits(embeds);
        Tensor[] labels = labels(grid, (int) embeds.size(0));
        return T.crossEntropy(l[0], labels[0], 0.0).add(T.crossEntropy(l[1], labels[1], 0.0));
    }

    /** Tokens per side of the grid. */
    public int grid() {
        return grid;
    }

    /** The row and the column of each patch token of {@code scenes} images, row-major as the ViT's tokens. */
    public static Tensor[] labels(int grid, int scenes) {
        long[] rows = new long[scenes * grid * grid];
        long[] cols = new long[rows.length];
        for (int i = 0; i < rows.length; i++) {
            int p = i % (grid * grid);
            rows[i] = p / grid;
            cols[i] = p % grid;
        }
        return new Tensor[] {T.longs(rows, rows.length), T.longs(cols, cols.length)};
    }
}

package org.blip4j.weights;

import org.blip4j.engine.T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Resizes a ViT position embedding to another grid, mirrors {@code models/vit.py interpolate_pos_embed}: the [CLS]
 * row is kept, the patch rows are resized as a grid with torch bicubic (a = -0.75, align_corners=False).
 */
public final class PosEmbed {
    private PosEmbed() {}

    /** pos (1, 1 + g², D) → (1, newTokens, D) with newTokens = 1 + h². */
    public static Tensor interpolate(Tensor pos, long newTokens) {
        long d = pos.size(2);
        long orig = Math.round(Math.sqrt(pos.size(1) - 1));
        long size = Math.round(Math.sqrt(newTokens - 1));
        if (orig * orig != pos.size(1) - 1 || size * size != newTokens - 1) {
            throw new IllegalArgumentException("position embeddings of " + pos.size(1) + " and " + newTokens
                    + " tokens are not square grids plus [CLS]");
        }
        if (orig == size) {
            return pos;
        }
        Tensor extra = pos.narrow(1, 0, 1); // (1, 1, D)
        Tensor grid = pos.narrow(1, 1, orig * orig).reshape(1, orig, orig, d).permute(0, 3, 1, 2); // (1, D, g, g)
        Tensor resized = torch.upsample_bicubic2d(grid.contiguous(), new long[] {size, size}, false); // (1, D, h, h)
        Tensor tokens = resized.permute(0, 2, 3, 1).flatten(1, 2); // (1, h², D)
        return T.cat(1, extra, tokens);
    }
}

package org.blip4j.model;

import org.bytedeco.pytorch.Tensor;

/**
 * Texts known to be false for each image of a batch (a world's minimal false captions), used as ITM's text negatives
 * in place of the ones BLIP mines from the batch: row i of {@code ids} pairs with image i where {@code rows[i]}.
 *
 * @param ids (B, L') token ids, first token [ENC] as ITM's texts
 * @param mask (B, L') attention mask
 * @param rows which images have one (the others keep their mined negative)
 */
public record TextNegatives(Tensor ids, Tensor mask, boolean[] rows) {
    public TextNegatives {
        if (ids.size(0) != rows.length || mask.size(0) != rows.length) {
            throw new IllegalArgumentException("hard negatives: " + ids.size(0) + " texts and " + mask.size(0)
                    + " masks for " + rows.length + " images");
        }
    }
}

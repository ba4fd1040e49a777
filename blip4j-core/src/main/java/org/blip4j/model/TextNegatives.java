package org.blip4j.model;

import org.bytedeco.pytorch.Tensor;

/**
 * What a world that knows the truth says about a batch's ITM negatives: texts known to be false for each image (a
 * world's minimal false captions), used in place of the ones BLIP mines from the batch — row i of {@code ids} pairs
 * with image i where {@code rows[i]} — and pairs known to hold, which are never mined as negatives.
 *
 * @param ids (B, L') token ids, first token [ENC] as ITM's texts; null when no image has a known-false text
 * @param mask (B, L') attention mask; null with {@code ids}
 * @param rows which images have one (the others keep their mined negative)
 * @param knownTrue {@code [i][j]}: text j of the batch holds for image i, so neither is drawn as the other's negative
 *     (B × B); null when unknown
 */
public record TextNegatives(Tensor ids, Tensor mask, boolean[] rows, boolean[][] knownTrue) {
    public TextNegatives {
        if ((ids == null) != (mask == null)) {
            throw new IllegalArgumentException("hard negatives: ids and mask must both be given or both be null");
        }
        if (ids != null && (ids.size(0) != rows.length || mask.size(0) != rows.length)) {
            throw new IllegalArgumentException("hard negatives: " + ids.size(0) + " texts and " + mask.size(0)
                    + " masks for " + rows.length + " images");
        }
        if (ids == null) {
            for (boolean r : rows) {
                if (r) {
                    throw new IllegalArgumentException("hard negatives: a row is marked but no texts were given");
                }
            }
        }
        if (knownTrue != null) {
            if (knownTrue.length != rows.length) {
                throw new IllegalArgumentException(
                        "known-true pairs: " + knownTrue.length + " rows for " + rows.length + " images");
            }
            for (boolean[] row : knownTrue) {
                if (row.length != rows.length) {
                    throw new IllegalArgumentException(
                            "known-true pairs: a row of " + row.length + " for " + rows.length + " texts");
                }
            }
        }
    }

    /** Known-false texts only. */
    public TextNegatives(Tensor ids, Tensor mask, boolean[] rows) {
        this(ids, mask, rows, null);
    }

    /** Whether any image has a known-false text. */
    public boolean hasTexts() {
        return ids != null;
    }
}

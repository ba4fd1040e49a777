package org.blip4j.model.text;

import org.bytedeco.pytorch.Tensor;

/**
 * What the text transformer's cross-attention reads: one encoder output (an image, or VQA's question states), or
 * NLVR2's pair of images ({@code models/nlvr_encoder.py}). Shapes (B', S, W) each.
 */
public sealed interface CrossStates {
    /** One source, read by {@link BertAttention}. */
    record One(Tensor states) implements CrossStates {}

    /** Two images, read by {@link NlvrTwinAttention}. */
    record Pair(Tensor first, Tensor second) implements CrossStates {}

    /** {@code states} as one source, or null for null (the unimodal mode). */
    static CrossStates of(Tensor states) {
        return states == null ? null : new One(states);
    }
}

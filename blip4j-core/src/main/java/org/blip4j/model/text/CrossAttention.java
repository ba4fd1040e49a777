package org.blip4j.model.text;

import org.bytedeco.pytorch.Tensor;

/** A layer's {@code crossattention} slot: attends from the text to {@link CrossStates} and adds the residual. */
sealed interface CrossAttention permits BertAttention, NlvrTwinAttention {
    /**
     * x (B, L, D); states (B', S, W) with B = B'·g; mask additive (B', 1, 1, S) or null; slot: this layer's cache slot
     * or null. Returns (B, L, D).
     */
    Tensor crossAttend(Tensor x, CrossStates states, Tensor mask, KvCache.Layer slot);
}

package org.blip4j.nn;

/**
 * A block that defers part of its backward pass (gradient checkpointing): {@link #finishAll} completes it right after
 * {@code loss.backward()}, inside the same PointerScope as the forward.
 */
public interface DeferredBackward {
    /** Completes the backward of this block's last forward; a no-op when it recorded nothing. */
    void finishBackward();

    /** Completes every deferred backward in the subtree of {@code root}, in registration order. */
    static void finishAll(Block root) {
        for (Block b : root.blocksOf(Block.class)) {
            if (b instanceof DeferredBackward d) {
                d.finishBackward();
            }
        }
    }
}

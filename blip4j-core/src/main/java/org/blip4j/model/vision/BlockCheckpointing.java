package org.blip4j.model.vision;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.blip4j.engine.LayerScope;
import org.blip4j.model.vision.VisionTransformer.VisionBlock;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;

/**
 * Gradient checkpointing of ViT blocks, the training-only wrapper that {@code models/vit.py} gets from fairscale's
 * {@code checkpoint_wrapper}: a wrapped block runs forward without keeping activations, and
 * {@link #finishBackward()} recomputes the blocks one at a time, last first, replaying the same drop-path draws, and
 * back-propagates through them. Same gradients, less memory, one extra forward of those blocks. libtorch's
 * {@code torch.utils.checkpoint} is Python-only, hence the hand-written deferred recompute.
 */
final class BlockCheckpointing {
    /** The checkpointed blocks of the last forward, last first. */
    private final ArrayDeque<Segment> pending = new ArrayDeque<>();

    /** A block's input, its output (a fresh leaf the rest of the graph hangs from) and its drop-path masks. */
    private record Segment(VisionBlock block, Tensor input, Tensor output, List<Tensor> masks) {
        /** Holds the tensors past the forward's PointerScope (a trainer may close it before backward). */
        Segment retain() {
            input.retainReference();
            output.retainReference();
            masks.forEach(Tensor::retainReference);
            return this;
        }

        void release() {
            input.releaseReference();
            output.releaseReference();
            masks.forEach(Tensor::releaseReference);
        }
    }

    /** Starts a forward: forgets an earlier forward that had no backward; true when checkpointing applies. */
    boolean begin(boolean training) {
        while (!pending.isEmpty()) {
            pending.pop().release();
        }
        return training && GradMode.is_enabled();
    }

    /** Runs {@code block} on x (B, N, D) without keeping its activations; returns (B, N, D), a leaf. */
    Tensor forward(VisionBlock block, Tensor x) {
        List<Tensor> masks = new ArrayList<>();
        Tensor leaf;
        // Its own PointerScope, or the step's scope would keep every intermediate alive until the step ends
        PointerScope outer = PointerScope.getInnerScope();
        try (PointerScope inner = outer == null ? null : new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            leaf = block.forward(x, masks, false).detach().set_requires_grad(true); // (B, N, D)
            if (inner != null) {
                LayerScope.keep(leaf, inner, outer);
                masks.forEach(m -> LayerScope.keep(m, inner, outer));
            }
        }
        pending.push(new Segment(block, x, leaf, masks).retain());
        return leaf;
    }

    /** Recomputes and back-propagates the pending blocks, last first. */
    void finishBackward() {
        while (!pending.isEmpty()) {
            Segment s = pending.pop();
            try (PointerScope scope = new PointerScope()) { // this block's activations live only for its backward
                Tensor grad = s.output().grad();
                if (!grad.defined()) {
                    continue; // the loss did not use this forward's output
                }
                Tensor out = s.block().forward(s.input(), s.masks(), true); // (B, N, D), with its graph this time
                out.backward(grad, new BoolOptional(), false, new TensorArrayRefOptional()); // fills s.input().grad
            } finally {
                s.release();
            }
        }
    }
}

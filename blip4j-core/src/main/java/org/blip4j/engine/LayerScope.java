package org.blip4j.engine;

import java.util.function.Supplier;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * Runs one layer of a network in its own {@link PointerScope}, so that the layer's intermediate tensors are freed
 * when it returns rather than when the caller's scope (a request, a decode step, a training step) closes; only the
 * layer's output moves to the caller's scope. Tensors that autograd saved for the backward stay alive through the
 * graph, and tensors a layer must keep (a KV cache) are retained explicitly, so this only frees what nothing uses.
 *
 * <p>Why: under one scope a 12-layer forward keeps every layer's activations alive until the end. For ITM over 256
 * texts that was 9.6 GB, every op wrote into memory the process had never touched, and the page faults cost as much
 * time as the arithmetic (docs/performance.md, round ten). Freed per layer, the allocator hands the next layer the
 * pages the previous one used.
 */
public final class LayerScope {
    private LayerScope() {}

    /** Runs {@code layer} in a nested scope and returns its output, attached to the enclosing scope (if any). */
    public static Tensor run(Supplier<Tensor> layer) {
        PointerScope outer = PointerScope.getInnerScope();
        if (outer == null) {
            return layer.get(); // no scope: the caller manages lifetimes itself
        }
        try (PointerScope inner = new PointerScope()) {
            Tensor out = layer.get();
            keep(out, inner, outer);
            return out;
        }
    }

    /** Moves {@code t} from the scope {@code from} to the enclosing scope {@code to}, so it outlives {@code from}. */
    public static void keep(Tensor t, PointerScope from, PointerScope to) {
        to.attach(t);
        from.detach(t);
    }
}

package org.blip4j.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.blip4j.engine.T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A node of the weight tree: its own named tensors plus named children, so that a checkpoint key such as
 * {@code text_decoder.bert.encoder.layer.3.crossattention.self.query.weight} is just the path to a tensor.
 */
public abstract class Block {
    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private final Map<String, Block> children = new LinkedHashMap<>();
    private final Set<String> buffers = new java.util.HashSet<>();
    private boolean training;

    static {
        T.s(0); // loads the engine before the first tensor is created
    }

    /** Registers a zero-initialised float32 parameter; its values come from a checkpoint or an initialiser. */
    protected final Tensor param(String name, long... shape) {
        return register(name, torch.zeros(shape));
    }

    /** Registers an existing tensor under a name (used for tied weights: the same tensor under two names). */
    protected final Tensor register(String name, Tensor t) {
        if (params.put(name, t) != null) {
            throw new IllegalStateException("duplicate parameter " + name);
        }
        return t;
    }

    /** Registers a non-trainable state tensor (queues, pointers) that is saved and loaded like a parameter. */
    protected final Tensor buffer(String name, Tensor t) {
        buffers.add(name);
        return register(name, t);
    }

    protected final <B extends Block> B child(String name, B block) {
        if (children.put(name, block) != null) {
            throw new IllegalStateException("duplicate child " + name);
        }
        return block;
    }

    /** A list child whose entries are named {@code 0..n-1}, as PyTorch's ModuleList. */
    protected final <B extends Block> List<B> children(String name, List<B> blocks) {
        BlockList<B> list = new BlockList<>(blocks);
        child(name, list);
        return Collections.unmodifiableList(blocks);
    }

    /** Every tensor of this subtree under its dotted path, in registration order (tied tensors appear under each name). */
    public final Map<String, Tensor> namedTensors() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, false);
        return out;
    }

    /** Trainable parameters under their first name; a tensor shared by several names appears once. */
    public final Map<String, Tensor> namedParameters() {
        Map<String, Tensor> all = new LinkedHashMap<>();
        collect("", all, true);
        Map<String, Tensor> out = new LinkedHashMap<>();
        IdentityHashMap<Tensor, Boolean> seen = new IdentityHashMap<>();
        for (var e : all.entrySet()) {
            if (seen.put(e.getValue(), Boolean.TRUE) == null) {
                out.put(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    private void collect(String prefix, Map<String, Tensor> out, boolean skipBuffers) {
        for (var e : params.entrySet()) {
            if (!skipBuffers || !buffers.contains(e.getKey())) {
                out.put(prefix + e.getKey(), e.getValue());
            }
        }
        for (var c : children.entrySet()) {
            c.getValue().collect(prefix + c.getKey() + ".", out, skipBuffers);
        }
    }

    /** Turns gradient tracking on or off for every trainable parameter of this subtree (buffers stay off). */
    public final void requiresGrad(boolean on) {
        for (Tensor t : namedParameters().values()) {
            t.set_requires_grad(on);
        }
    }

    /** Switches dropout on (training) or off (inference, the default) in this subtree, as {@code nn.Module.train}. */
    public final void train(boolean on) {
        training = on;
        for (Block c : children.values()) {
            c.train(on);
        }
    }

    /**
     * Completes a backward pass for blocks that deferred part of it (gradient checkpointing): call right after
     * {@code loss.backward()}, inside the same PointerScope as the forward. A no-op unless a block in this subtree
     * recorded work in its last forward.
     */
    public void finishBackward() {
        for (Block c : children.values()) {
            c.finishBackward();
        }
    }

    /** Every block of {@code type} in this subtree, this one included, in registration order. */
    public final <B extends Block> List<B> blocksOf(Class<B> type) {
        List<B> out = new java.util.ArrayList<>();
        if (type.isInstance(this)) {
            out.add(type.cast(this));
        }
        for (Block c : children.values()) {
            out.addAll(c.blocksOf(type));
        }
        return out;
    }

    /** Whether dropout is active. */
    protected final boolean training() {
        return training;
    }

    /** Dropout with probability p while training, identity otherwise. */
    protected final Tensor dropout(Tensor x, double p) {
        return training && p > 0 ? torch.dropout(x, p, true) : x;
    }

    /** Child lookup by name (for tests and loaders). */
    public final Block childBlock(String name) {
        return children.get(name);
    }

    /** Tensor lookup by own name. */
    public final Tensor tensor(String name) {
        return params.get(name);
    }

    /** Weightless container so that list entries get the names 0..n-1. */
    static final class BlockList<B extends Block> extends Block {
        BlockList(List<B> blocks) {
            List<B> copy = new ArrayList<>(blocks);
            for (int i = 0; i < copy.size(); i++) {
                child(Integer.toString(i), copy.get(i));
            }
        }
    }
}

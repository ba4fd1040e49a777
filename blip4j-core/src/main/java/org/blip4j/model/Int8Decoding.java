package org.blip4j.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.blip4j.engine.Int8Linear;
import org.blip4j.nn.Block;
import org.blip4j.nn.Linear;
import org.bytedeco.pytorch.Tensor;

/**
 * Opt-in int8 decoding ({@code --int8}): the linear layers a text decoder runs for every token (self-attention,
 * cross-attention query and output, feed-forward, LM-head transform) run as an {@link Int8Linear} whenever autograd
 * is off, as {@code torch.ao.quantization.quantize_dynamic(decoder, {nn.Linear}, torch.qint8)} would for those
 * layers; {@link #KEEP_FLOAT} stay float32. The float32
 * weights stay, so training and float32 callers of shared tensors are unaffected once {@link #close()}d; while open,
 * any inference through those tensors (a text encoder that shares layers with the decoder included) is int8.
 */
public final class Int8Decoding implements AutoCloseable {
    /**
     * Tensors (by checkpoint name, a regular expression) that stay float32: the LM head (its transform and the
     * vocabulary projection, whose near-tied logits decide the words) and the cross-attention (its keys/values are
     * computed once per request; its query and output are 2 of a layer's 14 d² per token). Self-attention and the
     * feed-forward layers — most of each token's products — are int8. Measured on the shipped shapes caption model's
     * 1000 test images (docs/performance.md): top beam equal to float32 on 90.4 % with only the vocabulary projection
     * and cross-attention K/V float32, 94.0 % adding the LM-head transform, 95.7 % with this set.
     */
    public static final String KEEP_FLOAT = "predictions\\.|crossattention\\.";
    /** System property overriding {@link #KEEP_FLOAT}; empty = every linear layer int8. */
    public static final String KEEP_FLOAT_PROPERTY = "blip4j.int8.keepFloat";

    private final List<Tensor> weights;
    private final long bytes;
    private boolean closed;

    private Int8Decoding(List<Tensor> weights) {
        this.weights = weights;
        this.bytes = Int8Linear.register(weights);
    }

    /** Quantises the linear layers of {@code decoder} (a BertLMHeadModel, or any block holding one). */
    public static Int8Decoding enable(Block decoder) {
        return new Int8Decoding(linearWeights(decoder));
    }

    /** The weights {@code T.linear} multiplies by in {@code block}: Linear layers plus the tied LM projection. */
    public static List<Tensor> linearWeights(Block block) {
        java.util.Set<Tensor> linear = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Linear l : block.blocksOf(Linear.class)) {
            linear.add(l.weight);
        }
        String keep = System.getProperty(KEEP_FLOAT_PROPERTY, KEEP_FLOAT);
        java.util.regex.Pattern skip = java.util.regex.Pattern.compile(keep.isEmpty() ? "(?!)" : keep);
        java.util.Set<Tensor> out = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Map.Entry<String, Tensor> e : block.namedTensors().entrySet()) {
            String n = e.getKey();
            boolean isLinear = linear.contains(e.getValue()) || n.endsWith("predictions.decoder.weight");
            if (isLinear && e.getValue().dim() == 2 && !skip.matcher(n).find()) {
                out.add(e.getValue());
            }
        }
        return new ArrayList<>(out);
    }

    /** Number of weight matrices served in int8. */
    public int layers() {
        return weights.size();
    }

    /** Bytes of int8 weights held (each registered once). */
    public long bytes() {
        return bytes;
    }

    /** Back to float32 for these layers; frees the int8 copies no one else registered. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Int8Linear.unregister(weights);
        }
    }
}

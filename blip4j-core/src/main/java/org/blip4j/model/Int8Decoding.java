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
 * feed-forward, and the LM head's vocabulary projection with its top logits recomputed in float32) run as an {@link
 * Int8Linear} whenever autograd is off, as {@code torch.ao.quantization.quantize_dynamic(decoder, {nn.Linear},
 * torch.qint8)} would for those layers; {@link #KEEP_FLOAT} stay float32. The float32
 * weights stay, so training and float32 callers of shared tensors are unaffected once {@link #close()}d; while open,
 * any inference through those tensors (a text encoder that shares layers with the decoder included) is int8.
 */
public final class Int8Decoding implements AutoCloseable {
    /**
     * Tensors (by checkpoint name, a regular expression) that stay float32: the LM-head transform and the
     * cross-attention (its keys/values are computed once per request; its query and output are 2 of a layer's 14 d²
     * per token). Self-attention and the feed-forward layers — most of each token's products — are int8. Measured on
     * the shipped shapes caption model's 1000 test images (docs/performance.md): top beam equal to float32 on 90.4 %
     * with only the vocabulary projection and cross-attention K/V float32, 94.0 % adding the LM-head transform, 95.7 %
     * with the whole LM head and cross-attention float32.
     */
    public static final String KEEP_FLOAT = "predictions\\.transform\\.|crossattention\\.";
    /** System property overriding {@link #KEEP_FLOAT}; empty = every linear layer int8. */
    public static final String KEEP_FLOAT_PROPERTY = "blip4j.int8.keepFloat";
    /**
     * The vocabulary projection (a quarter of BERT-base's decoder weights, read every token) runs in int8 and its
     * {@value #RESCORE_TOP} largest logits per row are recomputed from the float32 rows ({@link
     * Int8Linear#quantize(Tensor, int)}): the words a beam can choose, and the terms that dominate its softmax, keep
     * float32 values. System property {@value #RESCORE_TOP_PROPERTY} changes the count; 0 serves it in float32.
     */
    public static final int RESCORE_TOP = 64;

    public static final String RESCORE_TOP_PROPERTY = "blip4j.int8.rescoreTop";
    /**
     * System property: {@code false} runs int8 generation with the process's intra-op thread count instead of one
     * ({@link #generate}).
     */
    public static final String SERIAL_PROPERTY = "blip4j.int8.serial";

    private static final boolean SERIAL = !"false".equals(System.getProperty(SERIAL_PROPERTY));

    /**
     * Runs a generation with {@code active} int8 decoding (null: a float32 generation, run as is). Int8 generation
     * runs on one intra-op thread (of the calling thread; {@link org.blip4j.engine.IntraOpThreads#serial}), since an
     * int8 decode step is a few hundred tiny ops whose OpenMP wake-ups cost more than the ops — measured side by side
     * on 2 cores, beam 3 over BERT-base: 30.6 ms per step on one thread against 41.0 on two (docs/performance.md,
     * "Round six"). {@value #SERIAL_PROPERTY}=false turns it off.
     */
    public static <T> T generate(Int8Decoding active, java.util.function.Supplier<T> work) {
        return active != null && SERIAL ? org.blip4j.engine.IntraOpThreads.serial(work) : work.get();
    }

    private final List<Tensor> weights;
    private final long bytes;
    private boolean closed;

    private Int8Decoding(List<Tensor> weights, List<Tensor> rescored, int rescoreTop) {
        this.weights = weights;
        this.bytes = Int8Linear.register(weights, rescored, rescoreTop);
    }

    /** Quantises the linear layers of {@code decoder} (a BertLMHeadModel, or any block holding one). */
    public static Int8Decoding enable(Block decoder) {
        int top = Integer.getInteger(RESCORE_TOP_PROPERTY, RESCORE_TOP);
        List<Tensor> weights = linearWeights(decoder);
        List<Tensor> projections = vocabularyProjections(decoder);
        if (top <= 0) {
            weights.removeIf(w -> projections.stream().anyMatch(p -> p == w));
        }
        return new Int8Decoding(weights, projections, Math.max(top, 0));
    }

    /** The LM heads' vocabulary projections in {@code block} (tied to the word embeddings). */
    public static List<Tensor> vocabularyProjections(Block block) {
        List<Tensor> out = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : block.namedTensors().entrySet()) {
            if (e.getKey().endsWith("predictions.decoder.weight")
                    && out.stream().noneMatch(t -> t == e.getValue())) {
                out.add(e.getValue());
            }
        }
        return out;
    }

    /**
     * The weights {@code T.linear} multiplies by in {@code block} (Linear layers plus the tied LM projection), less
     * those named by {@link #KEEP_FLOAT} (or its system property).
     */
    public static List<Tensor> linearWeights(Block block) {
        return linearWeights(block, System.getProperty(KEEP_FLOAT_PROPERTY, KEEP_FLOAT));
    }

    /**
     * The weights {@code T.linear} multiplies by in {@code block}: Linear layers plus the tied LM projection, each
     * once, less those whose checkpoint name matches {@code keep} (a regular expression; empty keeps none).
     */
    public static List<Tensor> linearWeights(Block block, String keep) {
        java.util.Set<Tensor> linear = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Linear l : block.blocksOf(Linear.class)) {
            linear.add(l.weight);
        }
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

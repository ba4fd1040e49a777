package org.blip4j.model;

import java.util.List;
import org.blip4j.engine.Bf16Linear;
import org.blip4j.nn.Block;
import org.bytedeco.pytorch.Tensor;

/**
 * Opt-in bf16 inference ({@code --bf16}): every linear layer of a model multiplies in bfloat16 whenever autograd is
 * off — the image encoder's tokens, text encoders over batches of texts (ITM, retrieval, VQA questions) and the
 * few-row products of decoding — as {@code torch.autocast("cpu", dtype=torch.bfloat16)} does for {@code nn.Linear}.
 * Norms, softmax and attention stay float32; weights that {@link Int8Decoding} holds stay int8 (it takes precedence),
 * so {@code --int8 --bf16} decodes with int8 weights and serves the cross-attention, which int8 keeps in float32,
 * in bf16. On CPUs with AVX-512 BF16 (or AMX) the products run about 2× faster than float32
 * (docs/performance.md); elsewhere oneDNN emulates bf16 and they are slower ({@link #nativeSupport()}).
 * The float32 weights stay; {@link #close()} frees the bf16 copies.
 */
public final class Bf16Inference implements AutoCloseable {
    /**
     * Checkpoint names (a regular expression) whose linear layers stay float32: the LM head's transform (one
     * width × width layer before the vocabulary projection; in bf16 the shapes model's top caption matched float32's
     * on 98.1 % of its test images, kept float32 on 98.8 %).
     */
    public static final String KEEP_FLOAT = "predictions\\.transform\\.";
    /** System property overriding {@link #KEEP_FLOAT}. */
    public static final String KEEP_FLOAT_PROPERTY = "blip4j.bf16.keepFloat";
    /**
     * The vocabulary projections run in bf16 and their {@value #RESCORE_TOP} largest logits per row are recomputed
     * from the float32 rows, as {@link Int8Decoding} does: with the whole projection in bf16 the shapes model's top
     * caption matched float32's on 94.6 % of its test images, with the top 64 recomputed (and the transform float32)
     * on 98.8 % (docs/performance.md, "Round eight").
     * System property {@value #RESCORE_TOP_PROPERTY} changes the count; 0 serves them in bf16 as they are.
     */
    public static final int RESCORE_TOP = 64;

    public static final String RESCORE_TOP_PROPERTY = "blip4j.bf16.rescoreTop";

    private final List<Tensor> weights;
    private final long bytes;
    private boolean closed;

    private Bf16Inference(List<Tensor> weights, List<Tensor> rescored, int rescoreTop) {
        this.weights = weights;
        this.bytes = Bf16Linear.register(weights, rescored, rescoreTop);
    }

    /**
     * Serves every linear layer of {@code model} (the whole BLIP model, or any block) in bf16, the vocabulary
     * projections with their top {@value #RESCORE_TOP} logits recomputed in float32.
     */
    public static Bf16Inference enable(Block model) {
        return new Bf16Inference(
                Int8Decoding.linearWeights(model, System.getProperty(KEEP_FLOAT_PROPERTY, KEEP_FLOAT)),
                Int8Decoding.vocabularyProjections(model),
                Math.max(0, Integer.getInteger(RESCORE_TOP_PROPERTY, RESCORE_TOP)));
    }

    /** Whether this CPU multiplies bf16 natively (AVX-512 BF16 or AMX). */
    public static boolean nativeSupport() {
        return Bf16Linear.nativeSupport();
    }

    /** Number of weight matrices with a bf16 copy. */
    public int layers() {
        return weights.size();
    }

    /** Bytes of bf16 copies made by this call (weights registered before are not counted again). */
    public long bytes() {
        return bytes;
    }

    /** Back to float32 for these layers; frees the bf16 copies no one else registered. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Bf16Linear.unregister(weights);
        }
    }
}

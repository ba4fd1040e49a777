package org.blip4j.model;

import java.util.List;
import org.blip4j.engine.Bf16Linear;
import org.blip4j.nn.Block;
import org.bytedeco.pytorch.Tensor;

/**
 * Opt-in bf16 inference ({@code --bf16}): every linear layer of a model multiplies in bfloat16 whenever autograd is
 * off and the product has at least {@link Bf16Linear#MIN_ROWS} rows — the image encoder's 577 tokens per image, text
 * encoders over batches of texts (ITM, retrieval, VQA questions), decoding of large batches — as {@code
 * torch.autocast("cpu", dtype=torch.bfloat16)} does for {@code nn.Linear}. Norms, softmax and attention stay float32,
 * and so do the few-row products of ordinary decoding (float32, or int8 with {@link Int8Decoding}, which takes
 * precedence for the weights it holds). On CPUs with AVX-512 BF16 (or AMX) the products run about 2× faster than
 * float32 (docs/performance.md); elsewhere oneDNN emulates bf16 and they are slower ({@link #nativeSupport()}).
 * The float32 weights stay; {@link #close()} frees the bf16 copies.
 */
public final class Bf16Inference implements AutoCloseable {
    private final List<Tensor> weights;
    private final long bytes;
    private boolean closed;

    private Bf16Inference(List<Tensor> weights) {
        this.weights = weights;
        this.bytes = Bf16Linear.register(weights);
    }

    /** Serves every linear layer of {@code model} (the whole BLIP model, or any block) in bf16. */
    public static Bf16Inference enable(Block model) {
        return new Bf16Inference(Int8Decoding.linearWeights(model, ""));
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

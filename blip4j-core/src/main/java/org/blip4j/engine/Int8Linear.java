package org.blip4j.engine;

import java.util.Collection;
import java.util.IdentityHashMap;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.T_TensorTensorDoubleLong_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A float32 linear layer's weight quantised to int8 for inference, as PyTorch's dynamic quantisation does it
 * ({@code torch.ao.quantization.quantize_dynamic}): the weight is quantised once (per tensor, FBGEMM's choice of scale
 * and zero point, after scaling each output row to the same range: in effect per-channel) and packed for FBGEMM's
 * int8 GEMM; each call quantises its activations on the fly, multiplies in
 * int8 with int32 accumulation and returns float32. Uses libtorch's FBGEMM entry points
 * ({@code fbgemm_linear_quantize_weight}, {@code fbgemm_pack_quantized_matrix},
 * {@code fbgemm_linear_int8_weight_fp32_activation}) rather than a hand-written kernel.
 *
 * <p>Weights are registered by identity ({@link #register}); {@link T#linear} then sends calls with a registered
 * weight here when autograd is off. Opt-in only: results differ from float32 (relative error ~1e-2 per layer).
 * The float32 weight stays in place (training and other users of the tensor are unaffected).
 */
public final class Int8Linear {
    private static final WeightRegistry<Int8Linear> REGISTRY = new WeightRegistry<>();

    private static volatile Boolean supported;

    private final Tensor qweight; // (out, in) int8
    private final Tensor colOffsets; // (out) int32
    private final Tensor packed; // FBGEMM's packed matrix (opaque)
    private final Tensor zeroBias; // (out) zeros: the bias is added after the per-channel scale
    private final Tensor rowScale; // (out) max |w| of each weight row
    private final double scale;
    private final long zeroPoint;
    private final Tensor exact; // the float32 weight (not owned) when the top outputs are recomputed; else null
    private final int rescoreTop;

    private Int8Linear(Tensor w) {
        this(w, 0);
    }

    private Int8Linear(Tensor w, int rescoreTop) {
        this.exact = rescoreTop > 0 ? w : null;
        this.rescoreTop = rescoreTop;
        try (PointerScope s = new PointerScope()) {
            // per output channel: each weight row is scaled to max |w| = 1 before the per-tensor quantisation, so every
            // row
            // uses all 255 levels; the product is scaled back per output column (PyTorch's per-channel qconfig does
            // this)
            Tensor amax = w.abs().amax(new long[] {1}, true).clamp_min(T.s(1e-12)); // (out, 1)
            this.rowScale = keep(amax.view(-1).contiguous()); // (out)
            T_TensorTensorDoubleLong_T q =
                    torch.fbgemm_linear_quantize_weight(w.div(amax).contiguous());
            this.qweight = keep(new Tensor(q.get0())); // copies of the handles: get0/get1 point into the tuple
            this.colOffsets = keep(new Tensor(q.get1()));
            this.scale = q.get2();
            this.zeroPoint = q.get3();
            this.packed = keep(torch.fbgemm_pack_quantized_matrix(qweight));
            this.zeroBias = keep(torch.zeros(w.size(0)));
        }
    }

    private static Tensor keep(Tensor t) {
        t.retainReference();
        return t;
    }

    /** Quantises {@code w} (out, in) float32 without registering it (tests, benchmarks). */
    public static Int8Linear quantize(Tensor w) {
        return quantize(w, 0);
    }

    /**
     * As {@link #quantize(Tensor)}; with {@code rescoreTop} k > 0, each call also recomputes its k largest outputs
     * per row from the float32 weight ({@link #forward}), which stays referenced (not copied) and must outlive this.
     */
    public static Int8Linear quantize(Tensor w, int rescoreTop) {
        if (w.dim() != 2 || w.scalar_type().intern() != ScalarType.Float || !w.is_cpu()) {
            throw new IllegalArgumentException("int8 linear needs a 2-D float32 CPU weight, got " + w.scalar_type()
                    + " of " + w.dim() + " dimensions");
        }
        if (!isSupported()) {
            throw new UnsupportedOperationException(
                    "int8 decoding needs FBGEMM, which does not support this CPU " + "(it needs AVX2)");
        }
        return new Int8Linear(w, rescoreTop);
    }

    /** Whether this CPU runs FBGEMM's int8 kernels (AVX2 or AVX-512); checked once with a tiny product. */
    public static boolean isSupported() {
        Boolean s = supported;
        if (s == null) {
            try (PointerScope scope = new PointerScope()) {
                Tensor w = torch.ones(2, 4);
                Int8Linear q = new Int8Linear(w);
                q.forward(torch.ones(1, 4), null);
                q.free();
                s = Boolean.TRUE;
            } catch (RuntimeException e) {
                s = Boolean.FALSE;
            }
            supported = s;
        }
        return s;
    }

    /**
     * y = x Wᵀ + b with int8 weight and dynamically quantised activations; x (…, in) float32: (…, out). With a
     * rescore count k (an LM head's vocabulary projection), the k largest outputs of each row are then recomputed
     * from the float32 weight rows: the candidates a decoder picks from, and the terms that dominate its softmax,
     * carry float32 values, while the int8 product only has to rank them (relative error ~1e-2).
     */
    public Tensor forward(Tensor x, Tensor bias) {
        Tensor xc = x.contiguous();
        Tensor y = torch.fbgemm_linear_int8_weight_fp32_activation(
                        xc, qweight, packed, colOffsets, T.s(scale), T.s(zeroPoint), zeroBias)
                .mul_(rowScale); // (…, out)
        if (bias != null) {
            y.add_(bias);
        }
        if (rescoreTop <= 0) {
            return y;
        }
        return TopRescore.apply(y, xc, exact, bias, rescoreTop);
    }

    /** Bytes of int8 weight held (the packed copy is about the same again). */
    public long bytes() {
        return qweight.numel();
    }

    private void free() {
        qweight.releaseReference();
        colOffsets.releaseReference();
        packed.releaseReference();
        zeroBias.releaseReference();
        rowScale.releaseReference();
    }

    /**
     * Quantises each weight (once, even if it is registered several times or shared between layers) and makes
     * {@link T#linear} use the int8 product for it whenever autograd is off. Returns the int8 bytes now held.
     */
    public static long register(Collection<Tensor> weights) {
        return register(weights, java.util.Set.of(), 0);
    }

    /**
     * As {@link #register(Collection)}; the weights in {@code rescored} (by identity) recompute their {@code
     * rescoreTop} largest outputs per row in float32 ({@link #quantize(Tensor, int)}). A weight already registered
     * keeps the mode it was first registered with.
     */
    public static long register(Collection<Tensor> weights, Collection<Tensor> rescored, int rescoreTop) {
        java.util.Set<Tensor> exactly = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        exactly.addAll(rescored);
        return REGISTRY.register(weights, w -> quantize(w, exactly.contains(w) ? rescoreTop : 0)).stream()
                .mapToLong(Int8Linear::bytes)
                .sum();
    }

    /** Undoes one {@link #register} of each weight; an int8 copy is freed when its last registration goes. */
    public static void unregister(Collection<Tensor> weights) {
        REGISTRY.unregister(weights, Int8Linear::free);
    }

    /** The int8 version of {@code w} when it is registered and autograd is off; otherwise null. */
    static Int8Linear forWeight(Tensor w) {
        Int8Linear q = REGISTRY.get(w);
        return q == null || GradMode.is_enabled() ? null : q;
    }

    /** The rescore count {@code w} was registered with; 0 when not registered or not rescored (tests). */
    public static int rescoreTopOf(Tensor w) {
        Int8Linear q = REGISTRY.get(w);
        return q == null ? 0 : q.rescoreTop;
    }

    /** Whether {@code w} is registered (tests). */
    public static boolean isRegistered(Tensor w) {
        return REGISTRY.get(w) != null;
    }
}

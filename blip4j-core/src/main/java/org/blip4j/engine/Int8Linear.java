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
    private static volatile boolean halfRange; // set by probe() before supported

    /**
     * Calls with at most this many rows run the weight's row chunks on the {@link SkinnyParallel} threads: decoding's
     * few-row products only read the weight, and one thread does not use the memory bandwidth of all cores.
     */
    static final int PARALLEL_ROWS = 32;

    /** System property: row chunks per weight (default: the process's thread count). */
    static final String CHUNKS_PROPERTY = "blip4j.int8.chunks";

    private final Tensor qweight; // (out, in) int8
    private final Tensor[] chunkWeights; // (out_k, in) int8 rows of qweight, one per chunk
    private final Tensor[] colOffsets; // (out_k) int32 per chunk
    private final Tensor[] packed; // FBGEMM's packed matrix per chunk (opaque)
    private final Tensor[] zeroBias; // (out_k) zeros: the bias is added after the per-channel scale
    private final Tensor rowScale; // (out) max |w| of each weight row
    private final double scale;
    private final long zeroPoint;
    private final Tensor exact; // the float32 weight (not owned) when the top outputs are recomputed; else null
    private final int rescoreTop;
    private final boolean half; // 7-bit weights (halfRange)

    private Int8Linear(Tensor w, int rescoreTop) {
        this(w, rescoreTop, halfRange());
    }

    /**
     * @param half quantise the weight to 7 bits (levels −64…64): FBGEMM's AVX2 kernel adds pairs of u8 × s8 products
     *     in saturating 16-bit arithmetic (255 · 127 · 2 overflows 32,767), so on CPUs without AVX-512 VNNI full-range
     *     weights give wrong products ({@link #halfRange()}); PyTorch's {@code reduce_range} avoids the same overflow
     */
    private Int8Linear(Tensor w, int rescoreTop, boolean half) {
        this.exact = rescoreTop > 0 ? w : null;
        this.rescoreTop = rescoreTop;
        this.half = half;
        try (PointerScope s = new PointerScope()) {
            // per output channel: each weight row is scaled to max |w| = 1 before the per-tensor quantisation, so every
            // row
            // uses all 255 levels; the product is scaled back per output column (PyTorch's per-channel qconfig does
            // this)
            Tensor amax = w.abs().amax(new long[] {1}, true).clamp_min(T.s(1e-12)); // (out, 1)
            this.rowScale = keep(amax.view(-1).contiguous()); // (out)
            Tensor unit = w.div(amax).contiguous(); // (out, in), every row's max |w| = 1
            long out = w.size(0);
            if (half && w.size(1) >= 2) { // one guard row spanning [-2, 2]: the per-tensor scale doubles, real rows
                Tensor wide = torch.zeros(out + 1, w.size(1)); // use levels -64..64, and the guard row is dropped
                wide.narrow(0, 0, out).copy_(unit);
                wide.select(0, out).narrow(0, 0, 1).fill_(T.s(2.0));
                wide.select(0, out).narrow(0, 1, 1).fill_(T.s(-2.0));
                unit = wide;
            }
            T_TensorTensorDoubleLong_T q = torch.fbgemm_linear_quantize_weight(unit);
            // copies of the handles (get0/get1 point into the tuple), without the guard row if there is one
            this.qweight = keep(new Tensor(q.get0()).narrow(0, 0, out).contiguous());
            Tensor offsets = new Tensor(q.get1()).narrow(0, 0, out); // (out) int32, one per output channel
            this.scale = q.get2();
            this.zeroPoint = q.get3();
            // row chunks of the one quantised weight (same scale and zero point): the chunked product equals the whole
            int n = (int) Math.max(1, Math.min(chunks(), out / 64));
            long step = (out + n - 1) / n;
            n = (int) ((out + step - 1) / step);
            this.chunkWeights = new Tensor[n];
            this.colOffsets = new Tensor[n];
            this.packed = new Tensor[n];
            this.zeroBias = new Tensor[n];
            for (int k = 0; k < n; k++) {
                long from = k * step;
                long len = Math.min(step, out - from);
                chunkWeights[k] = keep(qweight.narrow(0, from, len).contiguous()); // (len, in)
                colOffsets[k] = keep(offsets.narrow(0, from, len).contiguous()); // (len)
                packed[k] = keep(torch.fbgemm_pack_quantized_matrix(chunkWeights[k]));
                zeroBias[k] = keep(torch.zeros(len));
            }
        }
    }

    /** Row chunks a weight is split into: the property, else the process's thread count. */
    private static int chunks() {
        int n = Integer.getInteger(CHUNKS_PROPERTY, -1);
        return n >= 1 ? n : BlasThreads.threads();
    }

    /** Number of row chunks this weight was split into (tests). */
    int chunkCount() {
        return packed.length;
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

    /**
     * Whether full-range int8 weights overflow this CPU's FBGEMM kernel (AVX2 without VNNI), so weights are quantised
     * to 7 bits ({@link #probe()}).
     */
    static boolean halfRange() {
        if (supported == null) {
            probe();
        }
        return halfRange;
    }

    /** Whether this CPU runs FBGEMM's int8 kernels (AVX2 or AVX-512) ({@link #probe()}). */
    public static boolean isSupported() {
        if (supported == null) {
            probe();
        }
        return supported;
    }

    /**
     * Checks once, with a product of ones at the full int8 range: FBGEMM missing throws; 16 exactly means no overflow,
     * about 8 the AVX2 kernel's saturating 16-bit sums.
     */
    private static synchronized void probe() {
        if (supported != null) {
            return;
        }
        boolean ok;
        boolean half;
        try (PointerScope scope = new PointerScope()) {
            Int8Linear q = new Int8Linear(torch.ones(1, 16), 0, false);
            float got = T.toFloats(q.forward(torch.ones(1, 16), null))[0];
            q.free();
            ok = true;
            half = Math.abs(got - 16) > 0.5;
        } catch (RuntimeException e) {
            ok = false;
            half = false;
        }
        halfRange = half; // before supported, which readers test first
        supported = ok;
    }

    /**
     * y = x Wᵀ + b with int8 weight and dynamically quantised activations; x (…, in) float32: (…, out). With a
     * rescore count k (an LM head's vocabulary projection), the k largest outputs of each row are then recomputed
     * from the float32 weight rows: the candidates a decoder picks from, and the terms that dominate its softmax,
     * carry float32 values, while the int8 product only has to rank them (relative error ~1e-2).
     */
    public Tensor forward(Tensor x, Tensor bias) {
        Tensor xc = x.contiguous();
        Tensor y = product(xc).mul_(rowScale); // (…, out)
        if (bias != null) {
            y.add_(bias);
        }
        if (rescoreTop <= 0) {
            return y;
        }
        // 7-bit weights are twice as coarse: twice as many candidates keep the k largest outputs float32's
        return TopRescore.apply(y, xc, exact, bias, half ? 2 * rescoreTop : rescoreTop);
    }

    /**
     * x Wᵀ in int8 before the per-channel scale: (…, out). Each chunk quantises x alike (from its min and max), so the
     * chunks' outputs are those of the whole product; few-row calls run the chunks on several threads.
     */
    private Tensor product(Tensor xc) {
        int n = packed.length;
        if (n == 1) {
            return chunk(xc, 0);
        }
        long rows = xc.numel() / xc.size(-1);
        Tensor[] parts = new Tensor[n];
        int threads = rows <= PARALLEL_ROWS ? Math.min(n, SkinnyParallel.parts(qweight.numel())) : 1;
        if (threads <= 1) {
            for (int k = 0; k < n; k++) {
                parts[k] = chunk(xc, k);
            }
        } else {
            SkinnyParallel.run(threads, t -> {
                for (int k = t; k < n; k += threads) { // one OpenMP thread per Java thread
                    int c = k;
                    Tensor part = IntraOpThreads.serial(() -> chunk(xc, c));
                    part.retainReference(); // outlives the worker's PointerScope; released below
                    parts[c] = part;
                }
            });
        }
        Tensor y = T.cat(-1, parts); // (…, out)
        if (threads > 1) {
            for (Tensor p : parts) {
                p.releaseReference();
            }
        }
        return y;
    }

    private Tensor chunk(Tensor xc, int k) {
        return torch.fbgemm_linear_int8_weight_fp32_activation(
                xc, chunkWeights[k], packed[k], colOffsets[k], T.s(scale), T.s(zeroPoint), zeroBias[k]);
    }

    /** Bytes of int8 weight held (the packed copy is about the same again). */
    public long bytes() {
        return qweight.numel();
    }

    /** Releases the int8 tensors (package-private for tests; registered weights are freed by unregister). */
    void free() {
        qweight.releaseReference();
        for (int k = 0; k < packed.length; k++) {
            chunkWeights[k].releaseReference();
            colOffsets[k].releaseReference();
            packed[k].releaseReference();
            zeroBias[k].releaseReference();
        }
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

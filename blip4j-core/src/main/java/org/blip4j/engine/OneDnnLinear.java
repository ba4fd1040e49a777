package org.blip4j.engine;

import java.util.Collection;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Dispatcher;
import org.bytedeco.pytorch.GenericList;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.NumberType;
import org.bytedeco.pytorch.OperatorHandle;
import org.bytedeco.pytorch.OptionalType;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.Type;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Float32 linear layers of many rows through oneDNN's inner product instead of OpenBLAS's sgemm, for inference.
 *
 * <p>Why: OpenBLAS runs the kernels of the core {@code OPENBLAS_CORETYPE} names, and an environment that names an
 * AVX2 core ({@code Haswell}) on an AVX-512 CPU halves every float32 product libtorch hands it (2048³: 177 against
 * 398 GFLOP/s on a 2-core AMD EPYC, docs/performance.md). oneDNN picks its kernels from the CPU itself. libtorch's
 * {@code mkldnn::_linear_pointwise} (the op {@code torch.compile} lowers CPU linear layers to) takes and returns
 * ordinary dense tensors, so no layout conversion is needed: ViT- and BERT-sized products ran at 316–486 GFLOP/s
 * there against 163–249 for OpenBLAS with {@code Haswell} and 288–470 for OpenBLAS on its own AVX-512 kernels, and
 * it streams a decode step's weights for a few rows faster than {@link SkinnyLinear} on OpenBLAS's AVX2 kernels. The
 * op has no autograd formula, so products with autograd on take a 1×1 convolution instead, which oneDNN computes
 * in both directions ({@link #forwardTrainable}, from {@link #MIN_TRAIN_ROWS} rows); a busy machine keeps OpenBLAS
 * ({@link MachineLoad}).
 *
 * <p>{@code -Dblip4j.gemm=auto|onednn|openblas} (read on every call, for side-by-side benchmarks): {@code auto}, the
 * default, uses oneDNN exactly when the CPU has AVX-512 and OpenBLAS does not run AVX-512 kernels
 * ({@link OpenBlasCore}); outputs differ from OpenBLAS's by float32 summation order only.
 */
public final class OneDnnLinear {
    /** System property: {@code auto} (default), {@code onednn} or {@code openblas}. */
    public static final String PROPERTY = "blip4j.gemm";
    /** System property: {@code false} keeps registered weights in their plain layout (no second copy). */
    public static final String PACK_PROPERTY = "blip4j.gemm.pack";
    /**
     * Multiply–adds (rows × in × out) from which a product takes this path; below it the op's boxed call costs more
     * than it saves (property {@code blip4j.gemm.minMacs}, read on every call).
     */
    static final long MIN_MACS = 1L << 24;
    /**
     * Weight elements from which a product of a few rows ({@link SkinnyLinear#MAX_ROWS} or fewer: a decode step)
     * takes this path: oneDNN streamed 3 rows × cold BERT-base weights at 23–28 GB/s against 10–17 for {@link
     * SkinnyLinear} on OpenBLAS's AVX2 kernels (property {@code blip4j.gemm.minStreamed}, read on every call).
     */
    static final long MIN_STREAMED = 1L << 18;

    /**
     * Rows from which a product with autograd takes {@link #forwardTrainable}: oneDNN reorders the weight into its
     * blocked layouts on every call (forward, and again for both backward products), which costs about what fewer
     * rows save. Six ViT-B-sized layers (forward + backward, one after another, cold weights): 60 rows 0.5× OpenBLAS's
     * speed, 128 rows 0.86×, 256 1.1×, 577 1.16×, 1,200 1.59× (property {@code blip4j.gemm.minTrainRows}).
     */
    static final long MIN_TRAIN_ROWS = 256;
    /**
     * Multiply–adds from which a product with autograd takes {@link #forwardTrainable}: below about 2²⁷ the
     * convolution's fixed cost shows (width-160 layers of 520 and 1,040 rows: 0.94× and 0.98×; 2,080 rows 1.15×;
     * property {@code blip4j.gemm.minTrainMacs}).
     */
    static final long MIN_TRAIN_MACS = 1L << 27;
    /**
     * Multiply–adds from which a product with autograd whose rows split into {@link #images} of 16 or more takes
     * {@link #forwardTrainable}: on one thread, width-160 layers of 1,040 / 480 / 320 / 256 rows (27 / 37 / 33 / 6.5 M
     * multiply–adds) ran at 1.38× / 1.15× / 1.08× / 0.7× {@code torch.linear}'s speed (property {@code
     * blip4j.gemm.minSplitTrainMacs}).
     */
    static final long MIN_SPLIT_TRAIN_MACS = 1L << 25;
    /**
     * Images from which libtorch hands a 1×1 convolution on one thread to oneDNN: below it, it takes its own im2col
     * convolution on OpenBLAS (libtorch's {@code use_mkldnn} rule), no faster than {@code torch.linear}.
     */
    static final long MIN_IMAGES = 16;

    private static final Logger LOG = LoggerFactory.getLogger(OneDnnLinear.class);
    private static final boolean AUTO = autoChoice(System.getenv("OPENBLAS_CORETYPE"), OpenBlasCore.cpuFlags());
    private static volatile Op op; // looked up on first use
    private static volatile boolean unavailable;
    private static final AtomicBoolean AUTO_SAID = new AtomicBoolean();
    private static final AtomicBoolean FALLBACK_SAID = new AtomicBoolean();
    private static final AtomicBoolean REFUSED_SAID = new AtomicBoolean();
    /** Packed copies refused by their check so far (tests). */
    static final AtomicLong REFUSED = new AtomicLong();
    /** Products this path has computed (tests). */
    static final AtomicLong CALLS = new AtomicLong();
    /** Products with autograd computed as 1×1 convolutions so far (tests). */
    static final AtomicLong TRAINING_CALLS = new AtomicLong();

    private static final long[] UNIT = {1, 1};
    private static final long[] NO_PADDING = {0, 0};

    private static final AtomicLong PACKED_BYTES = new AtomicLong();

    private OneDnnLinear() {}

    /** The boxed operators and the linear op's constant argument, made once. */
    private record Op(OperatorHandle handle, OperatorHandle reorder, GenericList noScalars) {}

    private static final WeightRegistry<Packed> PACKED = new WeightRegistry<>();

    /**
     * A registered weight's copy in oneDNN's own blocked layout, made on its first product of many rows: oneDNN then
     * skips reordering the plain weight on every call (ViT-sized products of 577 rows 295–354 → 389–431 GFLOP/s,
     * docs/performance.md, round fourteen).
     */
    private static final class Packed {
        private final long bytes;
        private volatile Tensor packed;
        private volatile boolean refused; // the copy gave wrong products: this weight stays plain

        Packed(Tensor w) {
            this.bytes = w.numel() * 4;
        }

        /** The copy in oneDNN's layout, made on first use and checked against the plain weight; null if refused. */
        Tensor get(Tensor w, Op o) {
            Tensor p = packed;
            if (p == null && !refused) {
                synchronized (this) {
                    p = packed;
                    if (p == null && !refused) {
                        try (PointerScope s = new PointerScope()) {
                            IValueVector stack = new IValueVector();
                            stack.push_back(new IValue(w));
                            stack.push_back(new IValue()); // batch size: not known in advance
                            o.reorder().callBoxed(stack);
                            p = new Tensor(stack.get(0).toTensor()); // its own reference: the stack's goes
                            p.retainReference();
                            if (!agrees(w, p, o)) {
                                p.releaseReference();
                                p = null;
                                refused = true;
                                REFUSED.incrementAndGet();
                            }
                        }
                        if (p != null) {
                            packed = p;
                            PACKED_BYTES.addAndGet(bytes);
                        }
                    }
                }
            }
            return p;
        }

        synchronized void free() {
            if (packed != null) {
                packed.releaseReference();
                packed = null;
                PACKED_BYTES.addAndGet(-bytes);
            }
        }
    }

    /**
     * Whether products with the packed copy equal those with the plain weight (relative L2 under 1e-4, rows 8 and
     * 96, fixed inputs: no random numbers drawn). Why: on an AMD EPYC of family 26 (Zen 5) oneDNN 3.7's packed copies
     * of weights whose output size is not a multiple of 64 (48, 96, 160) gave products 30–40 % off for 5 rows or
     * more, while the plain weight was right (session 33) — so every copy is checked once before it is used.
     */
    private static boolean agrees(Tensor w, Tensor packed, Op o) {
        long in = w.size(1);
        for (long rows : new long[] {8, 96}) {
            Tensor x = torch.sin(torch.arange(new org.bytedeco.pytorch.Scalar(rows * in))
                            .to(ScalarType.Float)
                            .mul(T.s(0.37)))
                    .reshape(rows, in); // (rows, in)
            Tensor plain;
            Tensor viaCopy;
            try {
                plain = call(o, x, w, null);
                viaCopy = call(o, x, packed, null);
            } catch (RuntimeException e) { // refused: the product itself would fall back to OpenBLAS
                return false;
            }
            double err = plain.sub(viaCopy).norm().item_double();
            double ref = plain.norm().item_double();
            if (!(err <= 1e-4 * Math.max(ref, 1e-30))) {
                if (!REFUSED_SAID.getAndSet(true)) {
                    LOG.warn(
                            "oneDNN's packed copy of a {} x {} weight gave products {} off the plain weight's "
                                    + "(relative L2) on this CPU: such weights stay in their plain layout",
                            w.size(0),
                            in,
                            String.format(Locale.ROOT, "%.2g", err / ref));
                }
                return false;
            }
        }
        return true;
    }

    /** One boxed {@code mkldnn::_linear_pointwise} call, x (rows, in) contiguous: (rows, out); throws if refused. */
    private static Tensor call(Op o, Tensor x2, Tensor weight, Tensor b) {
        IValueVector stack = new IValueVector();
        stack.push_back(new IValue(x2));
        stack.push_back(new IValue(weight));
        stack.push_back(b == null ? new IValue() : new IValue(b));
        stack.push_back(new IValue("none")); // no fused activation
        stack.push_back(new IValue(o.noScalars()));
        stack.push_back(new IValue()); // algorithm: none
        o.handle().callBoxed(stack);
        return stack.get(0).toTensor(); // a new tensor, not the stack's (freed with it)
    }

    /**
     * Lets products of many rows with these weights use a copy in oneDNN's layout, made on each weight's first such
     * product (so only weights that meet large products cost memory: about their own size once more). Undo with
     * {@link #unregister}; a weight registered several times keeps one copy until its last registration goes.
     */
    public static void register(Collection<Tensor> weights) {
        if (AUTO && System.getProperty(PROPERTY) == null && !AUTO_SAID.getAndSet(true)) {
            LOG.debug(
                    "float32 inference products through oneDNN: OPENBLAS_CORETYPE={} holds OpenBLAS below this CPU's "
                            + "AVX-512 (-D{}=openblas keeps OpenBLAS)",
                    System.getenv("OPENBLAS_CORETYPE"),
                    PROPERTY);
        }
        PACKED.register(weights, Packed::new);
    }

    /** Undoes one {@link #register} of each weight; a copy is freed when its last registration goes. */
    public static void unregister(Collection<Tensor> weights) {
        PACKED.unregister(weights, Packed::free);
    }

    /** Products with autograd computed through {@link #forwardTrainable} so far in this process (tests). */
    public static long trainingCalls() {
        return TRAINING_CALLS.get();
    }

    /** Products computed through oneDNN so far in this process (tests, benchmarks). */
    public static long calls() {
        return CALLS.get();
    }

    /** Bytes of weights held in oneDNN's layout now (registered weights that met a large product). */
    public static long packedBytes() {
        return PACKED_BYTES.get();
    }

    /** Whether {@code w} holds a oneDNN-layout copy now (tests). */
    static boolean packed(Tensor w) {
        Packed p = PACKED.get(w);
        return p != null && p.packed != null;
    }

    /**
     * What {@code auto} chooses: oneDNN when the CPU has AVX-512 (F, BW, VL) and OpenBLAS runs other kernels (an
     * {@code OPENBLAS_CORETYPE} naming an older core).
     */
    static boolean autoChoice(String coreType, String cpuFlags) {
        return OpenBlasCore.cpuAvx512(cpuFlags) && !OpenBlasCore.avx512Kernels(coreType, cpuFlags);
    }

    /** Whether inference products of many rows go through oneDNN now (the property, else the automatic choice). */
    public static boolean enabled() {
        String p = System.getProperty(PROPERTY);
        boolean on;
        if (p == null || p.isBlank() || p.trim().equalsIgnoreCase("auto")) {
            on = AUTO;
        } else {
            switch (p.trim().toLowerCase(Locale.ROOT)) {
                case "onednn" -> on = true;
                case "openblas" -> on = false;
                default ->
                    throw new IllegalArgumentException(
                            "-D" + PROPERTY + " must be auto, onednn or openblas, got '" + p + "'");
            }
        }
        return on && !unavailable;
    }

    /**
     * Whether {@code linear(x, w, b)} takes this path: enabled, autograd off, float32 on CPU, a contiguous 2-D weight,
     * and at least {@link #MIN_MACS} multiply–adds, or a few rows and a weight of at least {@link #MIN_STREAMED}.
     */
    public static boolean applies(Tensor x, Tensor w) {
        if (!enabled() || x.dim() < 1 || w.dim() != 2 || GradMode.is_enabled()) { // off: no native calls
            return false;
        }
        long in = x.size(-1);
        if (in == 0 || in != w.size(1)) {
            return false;
        }
        long rows = x.numel() / in;
        if (rows <= SkinnyLinear.MAX_ROWS
                ? w.numel() < Long.getLong("blip4j.gemm.minStreamed", MIN_STREAMED)
                : rows * in * w.size(0) < Long.getLong("blip4j.gemm.minMacs", MIN_MACS)) {
            return false;
        }
        return floatOnCpu(x, w);
    }

    /** Both float32 on the CPU, the weight contiguous: what either oneDNN path takes. */
    private static boolean floatOnCpu(Tensor x, Tensor w) {
        return x.is_cpu()
                && w.is_cpu()
                && w.is_contiguous()
                && x.scalar_type().intern() == ScalarType.Float
                && w.scalar_type().intern() == ScalarType.Float;
    }

    /**
     * Whether {@code linear(x, w, b)} with autograd on takes {@link #forwardTrainable}: {@link #enabled} (as for
     * inference: by default where OpenBLAS is held below an AVX-512 CPU), libtorch has oneDNN, float32 on CPU, a
     * contiguous 2-D weight, at least {@link #MIN_TRAIN_ROWS} rows and {@link #MIN_TRAIN_MACS} multiply–adds.
     */
    public static boolean appliesTraining(Tensor x, Tensor w) {
        if (!enabled() || x.dim() < 2 || w.dim() != 2 || !GradMode.is_enabled()) { // off: no native calls
            return false;
        }
        long in = x.size(-1);
        if (in == 0 || in != w.size(1)) {
            return false;
        }
        long rows = x.numel() / in;
        if (rows < Long.getLong("blip4j.gemm.minTrainRows", MIN_TRAIN_ROWS)) {
            return false;
        }
        boolean split = images(rows) > 1;
        if (!split && torch.get_num_threads() == 1) { // libtorch's own convolution: no faster than torch.linear
            return false;
        }
        long minMacs = split
                ? Long.getLong("blip4j.gemm.minSplitTrainMacs", MIN_SPLIT_TRAIN_MACS)
                : Long.getLong("blip4j.gemm.minTrainMacs", MIN_TRAIN_MACS);
        return rows * in * w.size(0) >= minMacs && floatOnCpu(x, w) && Native.ONEDNN;
    }

    /**
     * How many channels-last images {@link #forwardTrainable} lays {@code rows} out as: the smallest divisor of
     * {@code rows} from {@link #MIN_IMAGES} to 256, so that libtorch gives the convolution to oneDNN on one thread as
     * well (a two-rank training run's ranks have one each); 1 where there is none. On one thread, width-160 layers of
     * 4,160 rows, forward + backward: 1.6–1.7× {@code torch.linear}'s speed as 16 images, 0.93–0.97× as one.
     */
    static long images(long rows) {
        for (long d = MIN_IMAGES; d <= Math.min(rows, 256); d++) {
            if (rows % d == 0) {
                return d;
            }
        }
        return 1;
    }

    /** Whether this libtorch has oneDNN, asked once, on the first product with autograd that could use it. */
    private static final class Native {
        static final boolean ONEDNN = torch.hasMKLDNN();
    }

    /**
     * y = x Wᵀ + b with autograd, as a 1×1 convolution over the rows laid out as channels-last images of one column
     * ({@link #images}: one image of height rows where the rows have no divisor from 16 to 256): libtorch computes it
     * and its two backward products with oneDNN, on the CPU's own vector width. Why not {@code torch.linear}: its three
     * products run on OpenBLAS, held to AVX2 kernels by an {@code OPENBLAS_CORETYPE} naming an older core. Six
     * ViT-B-sized layers, forward + backward, on a 2-core AMD EPYC with AVX-512 (docs/performance.md, round fifteen):
     * 1.16× / 1.59× / 1.76× OpenBLAS's speed at 577 / 1,200 / 4,616 rows under {@code Haswell} (385 against 219 GFLOP/s
     * at 4,616); OpenBLAS on its own AVX-512 kernels was as fast or faster (372 at 4,616 rows), which is why this
     * follows the inference path's choice. Rows as a batch of 1×1 images instead ran at 73–98 GFLOP/s: oneDNN's
     * convolution blocks over an image's pixels. Outputs and gradients differ from OpenBLAS's by float32 summation
     * order only. On one thread libtorch gives a 1×1 convolution of fewer than 16 images to its own im2col kernel on
     * OpenBLAS instead (session 33: the two-rank shapes training had not run on oneDNN since round fifteen), hence the
     * split. Call where {@link #appliesTraining} holds.
     */
    public static Tensor forwardTrainable(Tensor x, Tensor w, Tensor b) {
        long in = x.size(-1);
        long out = w.size(0);
        long[] shape = x.sizes().vec().get();
        long rows = x.numel() / in;
        long n = images(rows);
        Tensor x4 =
                x.reshape(n, rows / n, 1, in).permute(0, 3, 1, 2); // (n, in, rows/n, 1): rows' memory, channels-last
        Tensor y4 = torch.conv2d(
                x4, w.view(out, in, 1, 1), T.opt(b), UNIT, NO_PADDING, UNIT, 1); // (n, out, rows/n, 1), channels-last
        TRAINING_CALLS.incrementAndGet();
        shape[shape.length - 1] = out;
        return y4.permute(0, 2, 3, 1).reshape(shape); // (…, out)
    }

    /**
     * y = x Wᵀ + b for x (…, in), w (out, in), b (out) or null: (…, out). Call where {@link #applies} holds; falls
     * back to {@code torch.linear} where this libtorch has no oneDNN (from then on) or oneDNN refuses the product
     * (that product; a warning the first time).
     */
    public static Tensor forward(Tensor x, Tensor w, Tensor b) {
        Op o = op();
        if (o == null) {
            return torch.linear(x, w, T.opt(b));
        }
        long in = x.size(-1);
        long[] shape = x.sizes().vec().get();
        Tensor x2 = x.reshape(-1, in).contiguous(); // (rows, in)
        Packed p = x2.size(0) > SkinnyLinear.MAX_ROWS && !"false".equals(System.getProperty(PACK_PROPERTY))
                ? PACKED.get(w)
                : null; // few rows stream the plain weight
        Tensor copy = p == null ? null : p.get(w, o);
        Tensor y;
        try {
            y = call(o, x2, copy == null ? w : copy, b);
        } catch (RuntimeException e) { // an input oneDNN refuses: this product on OpenBLAS, said once
            if (!FALLBACK_SAID.getAndSet(true)) {
                LOG.warn(
                        "oneDNN refused a {} product {} x {} -> {}, computed with OpenBLAS instead: {}",
                        x.scalar_type(),
                        x2.size(0),
                        in,
                        w.size(0),
                        e.getMessage().lines().findFirst().orElse(""));
            }
            return torch.linear(x, w, T.opt(b));
        }
        CALLS.incrementAndGet();
        shape[shape.length - 1] = w.size(0);
        return y.view(shape); // (…, out)
    }

    private static Op op() {
        Op o = op;
        if (o != null || unavailable) {
            return o;
        }
        synchronized (OneDnnLinear.class) {
            if (op == null && !unavailable) {
                try {
                    if (!torch.hasMKLDNN()) {
                        throw new IllegalStateException("libtorch was built without oneDNN");
                    }
                    OperatorHandle h = Dispatcher.singleton().findSchemaOrThrow("mkldnn::_linear_pointwise", "");
                    h.retainReference();
                    OperatorHandle r = Dispatcher.singleton().findSchemaOrThrow("mkldnn::_reorder_linear_weight", "");
                    r.retainReference();
                    Type.TypePtr scalar = OptionalType.get(
                            new Type.TypePtr(NumberType.getNumberIntTypePtr().get()));
                    GenericList none = new GenericList(scalar); // Scalar?[]: empty
                    none.retainReference();
                    op = new Op(h, r, none);
                } catch (RuntimeException e) {
                    unavailable = true;
                    LOG.warn("oneDNN linear layers unavailable, using OpenBLAS: {}", e.getMessage());
                }
            }
            return op;
        }
    }
}

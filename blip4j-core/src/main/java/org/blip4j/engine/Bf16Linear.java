package org.blip4j.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A float32 linear layer served in bfloat16 for inference, as {@code torch.autocast("cpu", dtype=torch.bfloat16)}
 * serves {@code nn.Linear}: the input is rounded to bf16, multiplied by a bf16 copy of the weight (made once) with
 * float32 accumulation by libtorch's CPU kernels (oneDNN, which uses AVX-512 BF16 or AMX where the CPU has them), and
 * the product comes back as float32 with the bias added in float32. Everything else (norms, softmax, attention)
 * stays float32. Every product of a registered weight takes this path ({@link T#linear}): the GEMM-shaped work of
 * encoders and the few-row products of decoding alike (for 3–24 rows oneDNN's bf16 kernel reads the half-size weight
 * 2.3–3.6× faster than the float32 matrix–vector path, docs/performance.md); weights that {@link Int8Linear} holds
 * stay int8. {@code -Dblip4j.bf16.minRows=N} keeps products of fewer than N rows in float32 (measurements).
 *
 * <p>Weights are registered by identity ({@link #register}); the float32 weight stays in place, so training and
 * float32 callers are unaffected. Opt-in only: outputs differ from float32 by bf16 rounding (relative ~4e-3 per
 * product).
 *
 * <p>Training has its own switch, {@link #autocast()} (recipe key {@code precision: bf16}): inside it every float32
 * product casts its input and weight to bf16 on the way in and its output back to float32, as mixed-precision
 * training under {@code torch.autocast} does; autograd runs back through the casts, so the backward products run in
 * bf16 too and the gradients land on the float32 weights, which AdamW updates in float32.
 */
public final class Bf16Linear {
    /** Rows (product of the leading dimensions) from which a product runs in bf16: 1 unless measuring otherwise. */
    static final int MIN_ROWS = Math.max(1, Integer.getInteger("blip4j.bf16.minRows", 1));

    private static final WeightRegistry<Bf16Linear> REGISTRY = new WeightRegistry<>();
    private static final ThreadLocal<int[]> AUTOCAST = ThreadLocal.withInitial(() -> new int[1]);
    private static volatile Boolean nativeBf16;

    private final Tensor weight; // (out, in) bf16
    private final Tensor exact; // the float32 weight (not owned) when the top outputs are recomputed; else null
    private final int rescoreTop;

    private Bf16Linear(Tensor w, int rescoreTop) {
        this.exact = rescoreTop > 0 ? w : null;
        this.rescoreTop = rescoreTop;
        if (w.dim() != 2 || w.scalar_type().intern() != ScalarType.Float || !w.is_cpu()) {
            throw new IllegalArgumentException("bf16 linear needs a 2-D float32 CPU weight, got " + w.scalar_type()
                    + " of " + w.dim() + " dimensions");
        }
        try (PointerScope s = new PointerScope()) {
            Tensor b = w.to(ScalarType.BFloat16).contiguous(); // (out, in)
            b.retainReference();
            this.weight = b;
        }
    }

    /**
     * y = x Wᵀ + b with x and W rounded to bf16; x (…, in) float32: (…, out) float32. With a rescore count k (an LM
     * head's vocabulary projection), each row's k largest outputs are then recomputed from the float32 weight.
     */
    public Tensor forward(Tensor x, Tensor bias) {
        Tensor y = torch.linear(x.to(ScalarType.BFloat16), weight, T.opt(null)) // (…, out) bf16
                .to(ScalarType.Float);
        if (bias != null) {
            y.add_(bias);
        }
        return rescoreTop <= 0 ? y : TopRescore.apply(y, x.contiguous(), exact, bias, rescoreTop);
    }

    /** Bytes of bf16 weight held. */
    public long bytes() {
        return weight.numel() * 2;
    }

    /** Releases the bf16 copy. */
    public void free() {
        weight.releaseReference();
    }

    /**
     * Makes {@link T#linear} use a bf16 copy of each weight (made once, even if registered several times) for
     * products whenever autograd is off. Returns the bf16 bytes now held.
     */
    public static long register(Collection<Tensor> weights) {
        return register(weights, java.util.Set.of(), 0);
    }

    /**
     * As {@link #register(Collection)}; the weights in {@code rescored} (by identity) recompute their {@code
     * rescoreTop} largest outputs per row from the float32 weight, which stays referenced and must outlive the
     * registration. A weight already registered keeps the mode it was first registered with.
     */
    public static long register(Collection<Tensor> weights, Collection<Tensor> rescored, int rescoreTop) {
        java.util.Set<Tensor> exactly = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        exactly.addAll(rescored);
        return REGISTRY.register(weights, w -> new Bf16Linear(w, exactly.contains(w) ? rescoreTop : 0)).stream()
                .mapToLong(Bf16Linear::bytes)
                .sum();
    }

    /** The rescore count {@code w} was registered with; 0 when not registered or not rescored (tests). */
    public static int rescoreTopOf(Tensor w) {
        Bf16Linear h = REGISTRY.get(w);
        return h == null ? 0 : h.rescoreTop;
    }

    /** Undoes one {@link #register} of each weight; a bf16 copy is freed when its last registration goes. */
    public static void unregister(Collection<Tensor> weights) {
        REGISTRY.unregister(weights, Bf16Linear::free);
    }

    /** The bf16 version of {@code w} when registered, autograd is off and x is float32. */
    static Bf16Linear forProduct(Tensor x, Tensor w) {
        Bf16Linear h = REGISTRY.get(w);
        if (h == null || GradMode.is_enabled() || x.scalar_type().intern() != ScalarType.Float) {
            return null;
        }
        return x.numel() >= (long) MIN_ROWS * w.size(1) ? h : null;
    }

    /** A scope of {@link #autocast()}; closing it ends the scope (scopes nest). */
    public interface Autocast extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Mixed-precision products on this thread until the returned scope closes: {@link T#linear} runs every float32
     * product as bf16 × bf16 with float32 accumulation, with or without autograd (backward then runs in bf16 as
     * well). Registered inference copies are not involved.
     */
    public static Autocast autocast() {
        int[] depth = AUTOCAST.get();
        depth[0]++;
        return () -> depth[0]--;
    }

    /** Whether this thread is inside {@link #autocast()}. */
    public static boolean autocasting() {
        return AUTOCAST.get()[0] > 0;
    }

    /**
     * The product under {@link #autocast()}: y = bf16(x) bf16(W)ᵀ in bf16, back to float32, plus the bias in
     * float32; differentiable. Null when it does not apply (not float32).
     */
    static Tensor autocastProduct(Tensor x, Tensor w, Tensor bias) {
        if (x.scalar_type().intern() != ScalarType.Float
                || w.scalar_type().intern() != ScalarType.Float
                || x.numel() < (long) MIN_ROWS * w.size(1)) {
            return null;
        }
        Tensor y = torch.linear(x.to(ScalarType.BFloat16), w.to(ScalarType.BFloat16), T.opt(null)) // (…, out) bf16
                .to(ScalarType.Float);
        return bias == null ? y : y.add(bias);
    }

    /** Whether {@code w} is registered (tests). */
    public static boolean isRegistered(Tensor w) {
        return REGISTRY.get(w) != null;
    }

    /**
     * Whether this CPU multiplies bf16 natively (AVX-512 BF16 or AMX, from {@code /proc/cpuinfo}); elsewhere oneDNN
     * emulates bf16 and the products are correct but slower than float32. False when it cannot tell.
     */
    public static boolean nativeSupport() {
        Boolean n = nativeBf16;
        if (n == null) {
            try {
                String flags = Files.readString(Path.of("/proc/cpuinfo"));
                n = flags.contains(" avx512_bf16") || flags.contains(" amx_bf16");
            } catch (java.io.IOException | RuntimeException e) {
                n = Boolean.FALSE;
            }
            nativeBf16 = n;
        }
        return n;
    }
}

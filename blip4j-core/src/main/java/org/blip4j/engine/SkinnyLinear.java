package org.blip4j.engine;

import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@code nn.functional.linear} for a few input rows without autograd (one decode step: an image's beams), streaming the
 * weight once for all rows, with one of two {@link Kernel}s.
 *
 * <p>Hand-written because no libtorch op streams a large weight once for a few rows at memory speed. OpenBLAS's sgemm
 * copies (packs) the whole weight on every call, which for 1–4 rows costs more than the product itself (3 rows ×
 * BERT-base 768→3072: 1.57 ms through {@code torch.linear}, 2 cores). Results equal {@code torch.linear}'s up to float
 * summation order. Measured on a decode step's 97 linear layers with cold weights in their order (399 MB, Intel Xeon,
 * 2 cores; docs/performance.md, round eleven): {@link Kernel#MV} 58 ms, {@link Kernel#BMM} 38–45 ms on OpenBLAS's
 * SkylakeX kernels; with {@code OPENBLAS_CORETYPE=Haswell}, which has no unpacked small-matrix kernel, BMM was slower.
 */
public final class SkinnyLinear {
    /** System property that turns this path off when {@code false} (everything then goes through torch.linear). */
    public static final String PROPERTY = "blip4j.skinny";
    /** System property fixing the kernel: {@code bmm} or {@code mv} (otherwise {@link Kernel#detect}). */
    public static final String KERNEL_PROPERTY = "blip4j.skinny.kernel";
    /** Most input rows served by this path; more rows amortise sgemm's packing. */
    public static final int MAX_ROWS = 4;
    /** BMM: weight rows per block (property {@code blip4j.skinny.blockRows}); 64 × 3072 × 4 stays a small product. */
    public static final long BLOCK_ROWS = Long.getLong("blip4j.skinny.blockRows", 64);
    /** MV: weight bytes per block, inside a core's share of cache on small machines (tried 256 KiB to unblocked). */
    public static final long BLOCK_BYTES = Long.getLong("blip4j.skinny.blockKiB", 2048) << 10;

    /** How the few-row product is computed. */
    public enum Kernel {
        /**
         * One {@code bmm} over blocks of {@link #BLOCK_ROWS} weight rows: each block is under OpenBLAS's small-matrix
         * limit, so its unpacked small kernel reads the block once for every input row (11–12 GB/s on one core, the
         * core's streaming rate).
         */
        BMM,
        /**
         * One matrix–vector product per input row and cache-sized weight block: the block comes from memory for the
         * first row and from cache for the others; a call per row and block.
         */
        MV;

        /**
         * BMM where OpenBLAS runs a core with small-matrix kernels (SkylakeX, Cooperlake, Sapphire Rapids: AVX-512
         * CPUs, unless {@code OPENBLAS_CORETYPE} names another core), MV elsewhere. This mirrors OpenBLAS's own core
         * choice, which the JavaCPP presets do not expose for the library libtorch calls.
         */
        static Kernel detect(String coreType, String cpuFlags) {
            return OpenBlasCore.avx512Kernels(coreType, cpuFlags) ? BMM : MV;
        }

        /** This process's kernel: the property, else {@link #detect} from the environment and /proc/cpuinfo. */
        static Kernel chosen() {
            String p = System.getProperty(KERNEL_PROPERTY);
            if (p != null && !p.isBlank()) {
                return valueOf(p.trim().toUpperCase(java.util.Locale.ROOT));
            }
            return detect(System.getenv("OPENBLAS_CORETYPE"), OpenBlasCore.cpuFlags());
        }
    }

    private static final Kernel KERNEL = Kernel.chosen();

    private static final boolean ENABLED = !"false".equals(System.getProperty(PROPERTY));

    private SkinnyLinear() {}

    /** Whether {@code linear(x, w, b)} takes this path: inference, float32 on CPU, a 2-D weight, ≤ MAX_ROWS rows. */
    public static boolean applies(Tensor x, Tensor w) {
        if (!ENABLED || x.dim() < 1 || w.dim() != 2 || GradMode.is_enabled()) {
            return false;
        }
        long in = x.size(-1);
        if (in == 0 || x.numel() / in > MAX_ROWS || !x.is_cpu() || !w.is_cpu() || !w.is_contiguous()) {
            return false;
        }
        return x.scalar_type().intern() == ScalarType.Float && w.scalar_type().intern() == ScalarType.Float;
    }

    /** y = x Wᵀ + b for x (…, in), w (out, in), b (out) or null: (…, out). Call only where {@link #applies} holds. */
    public static Tensor forward(Tensor x, Tensor w, Tensor b) {
        return forward(x, w, b, KERNEL, KERNEL == Kernel.BMM ? BLOCK_ROWS : BLOCK_BYTES / (w.size(1) * 4));
    }

    /** The kernel this process uses ({@link Kernel#chosen}). */
    public static Kernel kernel() {
        return KERNEL;
    }

    /**
     * As {@link #forward(Tensor, Tensor, Tensor)} with an explicit kernel and number of weight rows per block (tests,
     * benchmarks).
     */
    public static Tensor forward(Tensor x, Tensor w, Tensor b, Kernel kernel, long blockRows) {
        long in = w.size(1);
        long out = w.size(0);
        int rows = (int) (x.numel() / in);
        Tensor x2 = x.reshape(rows, in).contiguous(); // (R, in)
        Tensor y = torch.empty(rows, out); // (R, out)
        long block = Math.max(1, Math.min(out, blockRows));
        int parts = SkinnyParallel.parts(out * in * 4);
        if (parts <= 1) {
            BlasThreads.serial(() -> {
                products(kernel, x2, w, b, y, 0, out, block);
                return null;
            });
        } else {
            // (chunk, in) weight rows per Java thread, serial BLAS in each; chunks of whole blocks
            long chunk = (out + parts - 1) / parts;
            long aligned = (chunk + block - 1) / block * block;
            BlasThreads.serial(() -> SkinnyParallel.run(parts, k -> {
                long o = k * aligned;
                if (o < out) { // one OpenMP thread per Java thread: bmm would otherwise split its blocks again
                    IntraOpThreads.serial(() -> {
                        products(kernel, x2, w, b, y, o, Math.min(out, o + aligned), block);
                        return null;
                    });
                }
            }));
        }
        long[] shape = new long[(int) x.dim()];
        for (int i = 0; i < shape.length - 1; i++) {
            shape[i] = x.size(i);
        }
        shape[shape.length - 1] = out;
        return y.view(shape); // (…, out)
    }

    /** y[:, from:to] = x2 W[from:to]ᵀ + b[from:to] with {@code kernel}, {@code block} weight rows at a time. */
    static void products(Kernel kernel, Tensor x2, Tensor w, Tensor b, Tensor y, long from, long to, long block) {
        if (kernel == Kernel.BMM) {
            blockProducts(x2.t(), w, b, y, from, to, block);
        } else {
            rowProducts(x2, w, b, y, from, to, block);
        }
    }

    /** BMM: whole blocks in one bmm, the rest in one mm, then the bias. */
    private static void blockProducts(Tensor xt, Tensor w, Tensor b, Tensor y, long from, long to, long block) {
        long in = w.size(1);
        long rows = xt.size(1);
        long n = to - from;
        long blocks = n / block;
        long full = blocks * block;
        if (blocks > 0) {
            Tensor wb = w.narrow(0, from, full).view(blocks, block, in); // (blocks, block, in)
            Tensor prod = torch.bmm(wb, xt.unsqueeze(0).expand(blocks, in, rows)); // (blocks, block, R)
            y.narrow(1, from, full).copy_(prod.view(full, rows).t()); // (R, full)
        }
        if (full < n) {
            Tensor prod = torch.mm(w.narrow(0, from + full, n - full), xt); // (rest, R)
            y.narrow(1, from + full, n - full).copy_(prod.t()); // (R, rest)
        }
        if (b != null) {
            y.narrow(1, from, n).add_(b.narrow(0, from, n));
        }
    }

    /** MV: one matrix–vector product per row and weight block, the bias added by addmv. */
    private static void rowProducts(Tensor x2, Tensor w, Tensor b, Tensor y, long from, long to, long block) {
        int rows = (int) x2.size(0);
        Tensor[] xr = new Tensor[rows];
        Tensor[] yr = new Tensor[rows];
        for (int r = 0; r < rows; r++) {
            xr[r] = x2.select(0, r); // (in)
            yr[r] = y.select(0, r); // (out)
        }
        for (long o = from; o < to; o += block) {
            long n = Math.min(block, to - o);
            Tensor wb = w.narrow(0, o, n); // (n, in), contiguous rows
            Tensor bb = b == null ? null : b.narrow(0, o, n);
            for (int r = 0; r < rows; r++) {
                Tensor dst = yr[r].narrow(0, o, n); // (n)
                if (bb == null) {
                    torch.mv_out(dst, wb, xr[r]);
                } else {
                    torch.addmv_out(dst, bb, wb, xr[r]);
                }
            }
        }
    }
}

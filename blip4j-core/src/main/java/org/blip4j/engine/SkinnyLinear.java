package org.blip4j.engine;

import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@code nn.functional.linear} for a few input rows without autograd (one decode step: an image's beams), as one
 * matrix–vector product per row over cache-sized blocks of the weight.
 *
 * <p>Hand-written because OpenBLAS's sgemm copies (packs) the whole weight matrix on every call, which for 1–4 rows
 * costs more than the product itself: measured on 2 cores, 3 rows × BERT-base 768→3072 takes 1.57 ms through
 * {@code torch.linear} and 0.59 ms as three {@code addmv}. Blocks of {@link #BLOCK_BYTES} keep a block of weight rows
 * in cache while every input row reads it, so the weight streams from memory once. Results equal {@code torch.linear}'s
 * up to float summation order (sgemv vs sgemm kernels).
 */
public final class SkinnyLinear {
    /** System property that turns this path off when {@code false} (everything then goes through torch.linear). */
    public static final String PROPERTY = "blip4j.skinny";
    /** Most input rows served by matrix–vector products; more rows amortise sgemm's packing. */
    public static final int MAX_ROWS = 4;
    /** Weight bytes per block: inside a core's share of L3 on small machines. */
    public static final long BLOCK_BYTES = Long.getLong("blip4j.skinny.blockKiB", 2048) << 10;

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
        return forward(x, w, b, BLOCK_BYTES);
    }

    /** As {@link #forward(Tensor, Tensor, Tensor)} with an explicit block size in bytes (benchmarks). */
    public static Tensor forward(Tensor x, Tensor w, Tensor b, long blockBytes) {
        long in = w.size(1);
        long out = w.size(0);
        int rows = (int) (x.numel() / in);
        Tensor x2 = x.reshape(rows, in).contiguous(); // (R, in)
        Tensor y = torch.empty(rows, out); // (R, out)
        long block = Math.max(1, Math.min(out, blockBytes / (in * 4)));
        int parts = SkinnyParallel.parts(out * in * 4);
        if (parts <= 1) {
            BlasThreads.serial(() -> {
                products(x2, w, b, y, 0, out, block);
                return null;
            });
        } else {
            long chunk = (out + parts - 1) / parts; // (chunk, in) weight rows per Java thread, serial BLAS in each
            BlasThreads.serial(() -> SkinnyParallel.run(parts, k -> {
                long o = k * chunk;
                if (o < out) {
                    products(x2, w, b, y, o, Math.min(out, o + chunk), block);
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

    /** y[:, from:to] = x2 W[from:to]ᵀ + b[from:to], one matrix–vector product per row and weight block. */
    static void products(Tensor x2, Tensor w, Tensor b, Tensor y, long from, long to, long block) {
        int rows = (int) x2.size(0);
        long out = w.size(0);
        Tensor[] xr = new Tensor[rows];
        Tensor[] yr = new Tensor[rows];
        for (int r = 0; r < rows; r++) {
            xr[r] = x2.select(0, r); // (in)
            yr[r] = y.select(0, r); // (out)
        }
        for (long o = from; o < to; o += block) {
            long n = Math.min(block, to - o);
            Tensor wb = n == out ? w : w.narrow(0, o, n); // (n, in), contiguous rows
            Tensor bb = b == null ? null : n == out ? b : b.narrow(0, o, n);
            for (int r = 0; r < rows; r++) {
                Tensor dst = n == out ? yr[r] : yr[r].narrow(0, o, n); // (n)
                if (bb == null) {
                    torch.mv_out(dst, wb, xr[r]);
                } else {
                    torch.addmv_out(dst, bb, wb, xr[r]);
                }
            }
        }
    }
}

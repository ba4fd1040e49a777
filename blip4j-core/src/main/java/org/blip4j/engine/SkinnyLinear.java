package org.blip4j.engine;

import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@code nn.functional.linear} for a few input rows without autograd (one decode step: an image's beams), as one
 * batched product over blocks of {@link #BLOCK_ROWS} weight rows, each block a small matrix product that reads its
 * weight rows once for every input row.
 *
 * <p>Hand-written because no libtorch op streams a large weight once for a few rows at memory speed. OpenBLAS's sgemm
 * copies (packs) the whole weight on every call, which for 1–4 rows costs more than the product itself (3 rows ×
 * BERT-base 768→3072: 1.57 ms through {@code torch.linear}, 2 cores). One matrix–vector product per row (this class's
 * first form) reads the weight once per row, or pays a call per row and cache-sized block: cold weights in a decode
 * step's order streamed at 6.9 GB/s against 28.6 for a plain sum (docs/performance.md, round eleven). A block of 64
 * rows × 768 × 3 inputs is under OpenBLAS's small-matrix limit, so {@code bmm} over the blocks runs its unpacked small
 * kernel: 11.4 GB/s on one thread. Results equal {@code torch.linear}'s up to float summation order.
 */
public final class SkinnyLinear {
    /** System property that turns this path off when {@code false} (everything then goes through torch.linear). */
    public static final String PROPERTY = "blip4j.skinny";
    /** Most input rows served by this path; more rows amortise sgemm's packing. */
    public static final int MAX_ROWS = 4;
    /** Weight rows per block (property {@code blip4j.skinny.blockRows}): 64 × in × rows stays a small product. */
    public static final long BLOCK_ROWS = Long.getLong("blip4j.skinny.blockRows", 64);

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
        return forward(x, w, b, BLOCK_ROWS);
    }

    /** As {@link #forward(Tensor, Tensor, Tensor)} with an explicit number of weight rows per block (benchmarks). */
    public static Tensor forward(Tensor x, Tensor w, Tensor b, long blockRows) {
        long in = w.size(1);
        long out = w.size(0);
        int rows = (int) (x.numel() / in);
        Tensor xt = x.reshape(rows, in).t(); // (in, R)
        Tensor y = torch.empty(rows, out); // (R, out)
        long block = Math.max(1, Math.min(out, blockRows));
        int parts = SkinnyParallel.parts(out * in * 4);
        if (parts <= 1) {
            BlasThreads.serial(() -> {
                products(xt, w, b, y, 0, out, block);
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
                        products(xt, w, b, y, o, Math.min(out, o + aligned), block);
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

    /** y[:, from:to] = (W[from:to] xt)ᵀ + b[from:to]: whole blocks in one bmm, the rest in one mm. */
    static void products(Tensor xt, Tensor w, Tensor b, Tensor y, long from, long to, long block) {
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
}

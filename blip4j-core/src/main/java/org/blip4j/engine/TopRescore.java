package org.blip4j.engine;

import org.bytedeco.pytorch.Tensor;

/**
 * Recomputes the k largest outputs of each row of an approximate product (int8 or bf16) from the float32 weight: for
 * an LM head's vocabulary projection these are the words a beam can choose and the terms that dominate its softmax,
 * so they carry float32 values while the approximate product only has to rank them. Shared by {@link Int8Linear} and
 * {@link Bf16Linear}.
 */
final class TopRescore {
    private TopRescore() {}

    /**
     * Overwrites, in {@code y} (…, out) float32, each row's {@code k} largest values with x·w_j + b_j from the float32
     * weight {@code exact} (out, in); {@code x} (…, in) float32 contiguous. Returns {@code y}.
     */
    static Tensor apply(Tensor y, Tensor x, Tensor exact, Tensor bias, int k) {
        long out = exact.size(0);
        long in = exact.size(1);
        long rows = x.numel() / in;
        long top = Math.min(k, out);
        Tensor y2 = y.view(rows, out); // (R, out), a view: scattered values land in y
        Tensor idx = y2.topk(top, 1, true, false).get1(); // (R, k) indices of the largest approximate outputs
        Tensor flat = idx.reshape(-1); // (R·k)
        Tensor w = exact.index_select(0, flat).view(rows, top, in); // (R, k, in) float32 weight rows
        Tensor exactTop = w.bmm(x.view(rows, in, 1)).view(rows, top); // (R, k)
        if (bias != null) {
            exactTop.add_(bias.index_select(0, flat).view(rows, top));
        }
        y2.scatter_(1, idx, exactTop);
        return y;
    }
}

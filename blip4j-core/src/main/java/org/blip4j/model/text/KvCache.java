package org.blip4j.model.text;

import java.util.Arrays;
import org.blip4j.engine.T;
import org.bytedeco.pytorch.Tensor;

/**
 * Per-request decoder state: self-attention keys/values that grow by one position per step, and cross-attention
 * keys/values computed once from the image (or question) states and shared by every step and every beam.
 *
 * <p>Cached tensors are retained, so they survive the per-step PointerScope that created them; {@link #close()}
 * releases them. Shapes: B rows (images × beams), H heads, T cached positions, S source tokens, hd head dim.
 */
public final class KvCache implements AutoCloseable {
    final Tensor[] selfK;
    final Tensor[] selfV;
    final Tensor[] crossK;
    final Tensor[] crossV;

    public KvCache(int layers) {
        selfK = new Tensor[layers];
        selfV = new Tensor[layers];
        crossK = new Tensor[layers];
        crossV = new Tensor[layers];
    }

    /** Number of cached positions (0 before the first step). */
    public long length() {
        return selfK[0] == null ? 0 : selfK[0].size(2);
    }

    private static void set(Tensor[] slots, int i, Tensor t) {
        if (t != null) {
            t.retainReference();
        }
        if (slots[i] != null) {
            slots[i].releaseReference();
        }
        slots[i] = t;
    }

    void append(int layer, Tensor k, Tensor v) { // k, v: (B, H, L, hd)
        set(selfK, layer, selfK[layer] == null ? k : T.cat(2, selfK[layer], k));
        set(selfV, layer, selfV[layer] == null ? v : T.cat(2, selfV[layer], v));
    }

    void setCross(int layer, Tensor k, Tensor v) { // (B', H, S, hd)
        set(crossK, layer, k);
        set(crossV, layer, v);
    }

    /**
     * Keeps self-attention rows {@code rows} (int64, B') in that order: beam reordering. Cross K/V are per source and
     * never move, since beams only reorder within their own image.
     */
    public void reorder(Tensor rows) {
        for (int i = 0; i < selfK.length; i++) {
            if (selfK[i] != null) {
                set(selfK, i, selfK[i].index_select(0, rows));
                set(selfV, i, selfV[i].index_select(0, rows));
            }
        }
    }

    /** Forgets the self-attention history; cross K/V stay. */
    public void reset() {
        for (int i = 0; i < selfK.length; i++) {
            set(selfK, i, null);
            set(selfV, i, null);
        }
    }

    @Override
    public void close() {
        reset();
        for (int i = 0; i < crossK.length; i++) {
            set(crossK, i, null);
            set(crossV, i, null);
        }
    }

    @Override
    public String toString() {
        return "KvCache(layers=" + selfK.length + ", length=" + length() + ", cross="
                + Arrays.stream(crossK).filter(t -> t != null).count() + ")";
    }
}

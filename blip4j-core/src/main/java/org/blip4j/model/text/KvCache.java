package org.blip4j.model.text;

import java.util.Arrays;
import org.blip4j.engine.T;
import org.bytedeco.pytorch.Tensor;

/**
 * Per-request decoder state, one {@link Layer} slot per text layer: self-attention keys/values that grow by one
 * position per step, and cross-attention keys/values computed once from the image (or question) states and shared by
 * every step and every beam. Each layer only ever sees its own slot ({@link #layer(int)}).
 *
 * <p>Cached tensors are retained, so they survive the per-step PointerScope that created them; {@link #close()}
 * releases them. Shapes: B rows (images × beams), H heads, T cached positions, S source tokens, hd head dim.
 */
public final class KvCache implements AutoCloseable {
    private final Layer[] layers;

    public KvCache(int layers) {
        this.layers = new Layer[layers];
        for (int i = 0; i < layers; i++) {
            this.layers[i] = new Layer();
        }
    }

    /** The slot of layer {@code i}. */
    public Layer layer(int i) {
        return layers[i];
    }

    /** Number of cached positions (0 before the first step). */
    public long length() {
        return layers[0].selfK == null ? 0 : layers[0].selfK.size(2);
    }

    /**
     * Keeps self-attention rows {@code rows} (int64, B') in that order: beam reordering. Cross K/V are per source and
     * never move, since beams only reorder within their own image.
     */
    public void reorder(Tensor rows) {
        for (Layer l : layers) {
            l.reorder(rows);
        }
    }

    /** Forgets the self-attention history; cross K/V stay. */
    public void reset() {
        for (Layer l : layers) {
            l.setSelf(null, null);
        }
    }

    @Override
    public void close() {
        for (Layer l : layers) {
            l.setSelf(null, null);
            l.setCross(null, null);
        }
    }

    @Override
    public String toString() {
        return "KvCache(layers=" + layers.length + ", length=" + length() + ", cross="
                + Arrays.stream(layers).filter(l -> l.crossK != null).count() + ")";
    }

    /** One layer's keys and values: its self-attention history and its cross-attention source. */
    public static final class Layer {
        private Tensor selfK;
        private Tensor selfV;
        private Tensor crossK;
        private Tensor crossV;

        private Layer() {}

        /** Appends this step's keys/values (B, H, L, hd); returns the whole history {k, v} (B, H, T, hd). */
        Tensor[] append(Tensor k, Tensor v) {
            setSelf(selfK == null ? k : T.cat(2, selfK, k), selfV == null ? v : T.cat(2, selfV, v));
            return new Tensor[] {selfK, selfV};
        }

        /** The cached cross-attention {k, v} (B', H, S, hd), or null before the first step. */
        Tensor[] cross() {
            return crossK == null ? null : new Tensor[] {crossK, crossV};
        }

        void setCross(Tensor k, Tensor v) {
            crossK = swap(crossK, k);
            crossV = swap(crossV, v);
        }

        private void setSelf(Tensor k, Tensor v) {
            selfK = swap(selfK, k);
            selfV = swap(selfV, v);
        }

        private void reorder(Tensor rows) {
            if (selfK != null) {
                setSelf(selfK.index_select(0, rows), selfV.index_select(0, rows));
            }
        }

        /** Retains the new tensor and releases the old one. */
        private static Tensor swap(Tensor old, Tensor t) {
            if (t != null) {
                t.retainReference();
            }
            if (old != null) {
                old.releaseReference();
            }
            return t;
        }
    }
}

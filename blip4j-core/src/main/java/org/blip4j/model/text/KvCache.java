package org.blip4j.model.text;

import org.bytedeco.pytorch.Tensor;

/**
 * Per-request decoder state: self-attention keys/values that grow by one position per step, and cross-attention
 * keys/values computed once from the image (or question) states and shared by every step.
 *
 * <p>Shapes: B rows (images × beams), H heads, T cached positions, S source tokens, hd head dim.
 */
public final class KvCache {
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

  void append(int layer, Tensor k, Tensor v) { // k, v: (B, H, L, hd)
    selfK[layer] = selfK[layer] == null ? k : org.blip4j.engine.T.cat(2, selfK[layer], k);
    selfV[layer] = selfV[layer] == null ? v : org.blip4j.engine.T.cat(2, selfV[layer], v);
  }

  /**
   * Keeps self-attention rows {@code rows} (int64, B') in that order: beam reordering. Cross K/V are per image and
   * never move, since beams only ever reorder within their own image.
   */
  public void reorder(Tensor rows) {
    for (int i = 0; i < selfK.length; i++) {
      if (selfK[i] != null) {
        selfK[i] = selfK[i].index_select(0, rows);
        selfV[i] = selfV[i].index_select(0, rows);
      }
    }
  }

  /** Forgets the self-attention history; cross K/V stay. */
  public void reset() {
    java.util.Arrays.fill(selfK, null);
    java.util.Arrays.fill(selfV, null);
  }

  /** Tensors that must outlive a per-step PointerScope. */
  public Tensor[] all() {
    java.util.List<Tensor> out = new java.util.ArrayList<>();
    for (Tensor[] a : new Tensor[][] {selfK, selfV, crossK, crossV}) {
      for (Tensor t : a) {
        if (t != null) {
          out.add(t);
        }
      }
    }
    return out.toArray(new Tensor[0]);
  }
}

package org.blip4j.model;

import org.blip4j.config.BlipConfig;
import org.blip4j.engine.T;
import org.blip4j.model.text.TextMode;
import org.blip4j.train.NegativeSampler;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * Retrieval fine-tuning, mirrors {@code models/blip_retrieval.py BLIP_Retrieval.forward}: ITC whose positives are
 * all pairs (in the batch and in the queue) of the same image id, and ITM with negatives that never share an id.
 */
public final class BlipRetrieval extends ContrastiveModel {
  private final Tensor idxQueue;

  /** The two losses of one step, the ITM logits and the rows the negatives were drawn from. */
  public record Losses(Tensor ita, Tensor itm, Tensor itmLogits, float[][] weightsT2i, float[][] weightsI2t) {
    public Tensor total() {
      return ita.add(itm);
    }
  }

  public BlipRetrieval(BlipConfig c, int queueSize, double momentum) {
    super(c, queueSize, momentum, "ptr_queue");
    long[] init = new long[queueSize];
    java.util.Arrays.fill(init, -100L);
    this.idxQueue = buffer("idx_queue", T.longs(init, 1, queueSize));
  }

  /** One fine-tuning forward; {@code idx} (B) is the image id of each pair (equal ids = same image). */
  public Losses forward(Tensor pixels, Tensor ids, Tensor mask, Tensor idx, double alpha, long encId,
      NegativeSampler sampler) {
    long b = ids.size(0);
    Tensor idxCol = idx.view(-1, 1); // (B, 1)
    Tensor positives;
    try (NoGradGuard g = new NoGradGuard()) {
      Tensor idxAll = T.cat(1, idxCol.t(), idxQueue.clone()); // (1, B + Q), queue before this step's enqueue
      Tensor pos = idxCol.eq(idxAll).to(org.bytedeco.pytorch.global.torch.ScalarType.Float); // (B, B + Q)
      positives = pos.div(pos.sum(new long[] {1}, true, new org.bytedeco.pytorch.ScalarTypeOptional()));
    }
    ItcStep itc = itc(pixels, ids, mask, alpha, positives);
    long ptr = enqueue(itc.imageFeatM(), itc.textFeatM());
    try (NoGradGuard g = new NoGradGuard()) {
      idxQueue.narrow(1, ptr, b).copy_(idxCol.t());
    }

    Tensor encIds = ids.clone();
    encIds.select(1, 0).fill_(T.s(encId));
    Tensor pos = textEncoder.forward(encIds, mask, TextMode.MULTIMODAL, itc.imageEmbeds()).select(1, 0); // (B, D)
    float[][] wT2i;
    float[][] wI2t;
    try (NoGradGuard g = new NoGradGuard()) { // batch-only online sims, same-id pairs masked out, no +1e-4
      Tensor same = idxCol.eq(idxCol.t()); // (B, B)
      wT2i = Itc.rows(T.softmax(itc.textFeat().matmul(itc.imageFeat().t()).div(temp), 1).masked_fill(same, T.s(0.0)),
          false);
      wI2t = Itc.rows(T.softmax(itc.imageFeat().matmul(itc.textFeat().t()).div(temp), 1).masked_fill(same, T.s(0.0)),
          false);
    }
    Itc.Itm itm = Itc.itm(textEncoder, itmHead, pos, encIds, mask, itc.imageEmbeds(), wT2i, wI2t, sampler);
    return new Losses(itc.loss(), itm.loss(), itm.logits(), wT2i, wI2t);
  }
}

package org.blip4j.model;

import org.blip4j.config.BlipConfig;
import org.blip4j.engine.T;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * Retrieval fine-tuning, mirrors {@code models/blip_retrieval.py BLIP_Retrieval.forward}: ITC whose positives are
 * all pairs (in the batch and in the queue) of the same image id, and ITM with negatives that never share an id —
 * drawn from this rank's batch, or with {@code negative_all_rank} from every rank's (the image embeddings gathered
 * with {@code all_gather_with_grad}).
 */
public final class BlipRetrieval extends ContrastiveModel {
    private final Tensor idxQueue;
    private boolean negativeAllRank;

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

    /**
     * The reference's {@code negative_all_rank} (true in retrieval_coco.yaml): ITM hard negatives are mined over the
     * batches of all ranks instead of this rank's only. With one process both are the same.
     */
    public void negativeAllRank(boolean on) {
        this.negativeAllRank = on;
    }

    /** One fine-tuning forward; {@code idx} (B) is the image id of each pair (equal ids = same image). */
    public Losses forward(
            Tensor pixels, Tensor ids, Tensor mask, Tensor idx, double alpha, long encId, NegativeSampler sampler) {
        return forward(pixels, ids, mask, idx, alpha, encId, sampler, null);
    }

    /** As above, with known-false texts as ITM's text negatives where {@code hard} (null: none) has them. */
    public Losses forward(
            Tensor pixels,
            Tensor ids,
            Tensor mask,
            Tensor idx,
            double alpha,
            long encId,
            NegativeSampler sampler,
            TextNegatives hard) {
        long b = ids.size(0);
        Tensor idxCol = idx.view(-1, 1); // (B, 1)
        Tensor positives;
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor idxAll = T.cat(1, idxCol.t(), idxQueue.clone()); // (1, B + Q), queue before this step's enqueue
            Tensor pos = idxCol.eq(idxAll).to(org.bytedeco.pytorch.global.torch.ScalarType.Float); // (B, B + Q)
            positives = pos.div(pos.sum(new long[] {1}, true, new org.bytedeco.pytorch.ScalarTypeOptional()));
        }
        ItcStep itc = itc(pixels, ids, mask, alpha, positives);
        Tensor idxs = dist.allGather(idxCol); // (W·B, 1): concat_all_gather(idx)
        long ptr = enqueue(itc.imageFeatM(), itc.textFeatM());
        try (NoGradGuard g = new NoGradGuard()) {
            idxQueue.narrow(1, ptr, idxs.size(0)).copy_(idxs.t());
        }

        Positives p = positives(ids, mask, itc.imageEmbeds(), encId);
        Tensor encIds = p.encIds();
        Tensor pos = p.cls(); // (B, D)
        if (negativeAllRank) {
            return itmAllRanks(itc, pos, encIds, mask, idxCol, idxs, sampler, hard);
        }
        float[][] wT2i;
        float[][] wI2t;
        try (NoGradGuard g = new NoGradGuard()) { // batch-only online sims, same-id pairs masked out, no +1e-4
            Tensor same = idxCol.eq(idxCol.t()); // (B, B)
            wT2i = Itc.rows(
                    T.softmax(itc.textFeat().matmul(itc.imageFeat().t()).div(temp), 1)
                            .masked_fill(same, T.s(0.0)),
                    false);
            wI2t = Itc.rows(
                    T.softmax(itc.imageFeat().matmul(itc.textFeat().t()).div(temp), 1)
                            .masked_fill(same, T.s(0.0)),
                    false);
        }
        Itc.Itm itm = Itc.itm(textEncoder, itmHead, pos, encIds, mask, itc.imageEmbeds(), wT2i, wI2t, sampler, hard);
        return new Losses(itc.loss(), itm.loss(), itm.logits(), wT2i, wI2t);
    }

    /**
     * ITM with negatives from every rank's batch ({@code negative_all_rank}): online features and ids gathered for the
     * weights (same-id pairs masked out), image embeddings gathered with gradient, texts gathered (padded to the
     * longest rank's length first, which the mask hides, so ranks may pad differently).
     */
    private Losses itmAllRanks(
            ItcStep itc,
            Tensor pos,
            Tensor encIds,
            Tensor mask,
            Tensor idxCol,
            Tensor idxs,
            NegativeSampler sampler,
            TextNegatives hard) {
        float[][] wT2i;
        float[][] wI2t;
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor same = idxCol.eq(idxs.t()); // (B, W·B)
            Tensor imageFeatWorld = dist.allGather(itc.imageFeat()); // (W·B, E)
            Tensor textFeatWorld = dist.allGather(itc.textFeat());
            wI2t = Itc.rows(
                    T.softmax(itc.imageFeat().matmul(textFeatWorld.t()).div(temp), 1)
                            .masked_fill(same, T.s(0.0)),
                    false);
            wT2i = Itc.rows(
                    T.softmax(itc.textFeat().matmul(imageFeatWorld.t()).div(temp), 1)
                            .masked_fill(same, T.s(0.0)),
                    false);
        }
        Tensor imageEmbedsWorld = dist.allGatherWithGrad(itc.imageEmbeds()); // (W·B, N, W)
        long length = dist.allMax(encIds.size(1));
        Tensor ids = Itc.pad(encIds, length); // (B, L')
        Tensor m = Itc.pad(mask, length);
        Itc.Itm itm = Itc.itm(
                textEncoder,
                itmHead,
                pos,
                ids,
                m,
                itc.imageEmbeds(),
                imageEmbedsWorld,
                dist.allGather(ids),
                dist.allGather(m),
                wT2i,
                wI2t,
                sampler,
                hard);
        return new Losses(itc.loss(), itm.loss(), itm.logits(), wT2i, wI2t);
    }
}

package org.blip4j.train;

import java.util.LinkedHashMap;
import java.util.Map;
import org.blip4j.data.Batch;
import org.blip4j.engine.T;
import org.blip4j.model.BlipDecoder;
import org.blip4j.model.BlipPretrain;
import org.blip4j.model.BlipRetrieval;
import org.blip4j.model.BlipVqa;
import org.blip4j.model.NegativeSampler;
import org.blip4j.model.TextNegatives;
import org.bytedeco.pytorch.Tensor;

/** The training objective of each BLIP task over data-pipeline batches (reference: the train_*.py forward calls). */
public final class Objectives {
    private Objectives() {}

    static Tensor pixels(Batch b) {
        return T.floats(b.pixels(), b.pixelShape()); // (N, 3, H, W)
    }

    static Tensor ids(Batch.Text t, long first) {
        Tensor ids = T.longs(t.inputIds()); // (B, L)
        if (first >= 0) {
            ids.select(1, 0).fill_(T.s(first));
        }
        return ids;
    }

    /**
     * What the batch's world says of ITM negatives: its known-false texts ([ENC] first) and known-true pairs; null when
     * it has neither.
     */
    static TextNegatives negatives(Batch b, long encId) {
        if (b.negatives() == null && b.knownTrue() == null) {
            return null;
        }
        boolean[] rows = new boolean[b.size()];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = b.hasNegative(i);
        }
        return b.negatives() == null
                ? new TextNegatives(null, null, rows, b.knownTrue())
                : new TextNegatives(
                        ids(b.negatives(), encId), T.longs(b.negatives().attentionMask()), rows, b.knownTrue());
    }

    /** Captioning (BLIP_Decoder.forward): [DEC] first, pads and the prompt's positions ignored, smoothing 0.1. */
    public static Trainer.Objective<Batch> caption(BlipDecoder m, long bosId, int promptLength) {
        return (b, step) -> {
            Tensor ids = ids(b.text(), bosId);
            Tensor mask = T.longs(b.text().attentionMask());
            Tensor loss = m.loss(m.encodeImage(pixels(b)), ids, mask, BlipDecoder.targets(ids, mask, promptLength));
            return Map.of("loss", loss);
        };
    }

    /** Pre-training (BLIP_Pretrain.forward): loss = ita + itm + lm, alpha ramped over two epochs. */
    public static Trainer.Objective<Batch> pretrain(BlipPretrain m, double alpha, long encId, long bosId) {
        return (b, s) -> {
            double a = Schedules.pretrainAlpha(alpha, s.epoch(), s.batch(), s.batchesPerEpoch());
            BlipPretrain.Losses l = m.forward(
                    pixels(b),
                    ids(b.text(), -1),
                    T.longs(b.text().attentionMask()),
                    a,
                    encId,
                    bosId,
                    NegativeSampler.seeded(s.stepSeed()),
                    negatives(b, encId));
            Map<String, Tensor> out = new LinkedHashMap<>();
            out.put("loss", l.total());
            out.put("loss_ita", l.ita());
            out.put("loss_itm", l.itm());
            out.put("loss_lm", l.lm());
            if (l.place() != null) {
                out.put("loss_place", l.place());
            }
            return out;
        };
    }

    /** Retrieval fine-tuning (BLIP_Retrieval.forward): loss = ita + itm, alpha ramped over epoch 0. */
    public static Trainer.Objective<Batch> retrieval(BlipRetrieval m, double alpha, long encId) {
        return (b, s) -> {
            double a = Schedules.retrievalAlpha(alpha, s.epoch(), s.batch(), s.batchesPerEpoch());
            BlipRetrieval.Losses l = m.forward(
                    pixels(b),
                    ids(b.text(), -1),
                    T.longs(b.text().attentionMask()),
                    T.longs(b.imageIds(), b.imageIds().length),
                    a,
                    encId,
                    NegativeSampler.seeded(s.stepSeed()),
                    negatives(b, encId));
            Map<String, Tensor> out = new LinkedHashMap<>();
            out.put("loss", l.total());
            out.put("loss_ita", l.ita());
            out.put("loss_itm", l.itm());
            return out;
        };
    }

    /**
     * NLVR2 (BLIP_NLVR.forward(train=True)): both images through the ViT as one batch, split, twin cross-attention,
     * cls_head, plain cross-entropy against the labels.
     */
    public static Trainer.Objective<Batch> nlvr(org.blip4j.model.BlipNlvr m, long encId) {
        return (b, s) -> {
            Tensor embeds = m.visualEncoder().forward(pixels(b)); // (2B, N, W): all first images, then all second ones
            long n = b.size();
            long[] labels = new long[b.labels().length];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = b.labels()[i];
            }
            Tensor logits = m.logits(
                    embeds.narrow(0, 0, n),
                    embeds.narrow(0, n, n),
                    ids(b.text(), encId),
                    T.longs(b.text().attentionMask())); // (B, 2)
            return Map.of("loss", T.crossEntropy(logits, T.longs(labels, labels.length), 0.0));
        };
    }

    /** VQA (BLIP_VQA.forward(train=True)): weighted, label-smoothed answer loss. */
    public static Trainer.Objective<Batch> vqa(BlipVqa m, long encId, long bosId) {
        return (b, s) -> {
            long[] n = new long[b.answerCounts().length];
            for (int i = 0; i < n.length; i++) {
                n[i] = b.answerCounts()[i];
            }
            BlipVqa.TrainLoss l = m.trainLoss(
                    pixels(b),
                    ids(b.text(), encId),
                    T.longs(b.text().attentionMask()),
                    ids(b.answers(), bosId),
                    T.longs(b.answers().attentionMask()),
                    n,
                    T.floats(b.answerWeights(), b.answerWeights().length),
                    b.patchRelations());
            if (l.relationLoss() == null) {
                return Map.of("loss", l.loss());
            }
            Map<String, Tensor> out = new LinkedHashMap<>();
            out.put("loss", l.loss());
            out.put("loss_relation", l.relationLoss());
            return out;
        };
    }
}

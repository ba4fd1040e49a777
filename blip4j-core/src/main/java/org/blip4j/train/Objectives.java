package org.blip4j.train;

import java.util.LinkedHashMap;
import java.util.Map;
import org.blip4j.engine.T;
import org.blip4j.model.BlipDecoder;
import org.blip4j.model.BlipPretrain;
import org.blip4j.model.BlipRetrieval;
import org.blip4j.model.BlipVqa;
import org.bytedeco.pytorch.Tensor;

/** The training objective of each BLIP task over plain Java batches (reference: the train_*.py forward calls). */
public final class Objectives {
  private Objectives() {}

  /** Images (NCHW floats) and tokenized texts; ids start with [CLS], which each objective replaces as needed. */
  public record TextImageBatch(float[] pixels, int size, long[][] ids, long[][] mask, long[] imageIds) {
    Tensor pixelTensor() {
      return T.floats(pixels, ids.length, 3, size, size);
    }
  }

  /** A VQA batch: questions with their images, answers grouped per question (n), answer weights. */
  public record VqaBatch(float[] pixels, int size, long[][] questionIds, long[][] questionMask, long[][] answerIds,
      long[][] answerMask, long[] n, float[] weights) {}

  /** Captioning (BLIP_Decoder.forward): [DEC] first, pads and the prompt's positions ignored, smoothing 0.1. */
  public static Trainer.Objective<TextImageBatch> caption(BlipDecoder m, long bosId, int promptLength) {
    return (b, step) -> {
      Tensor ids = T.longs(b.ids());
      ids.select(1, 0).fill_(T.s(bosId));
      Tensor mask = T.longs(b.mask());
      Tensor loss = m.loss(m.encodeImage(b.pixelTensor()), ids, mask, BlipDecoder.targets(ids, mask, promptLength));
      return Map.of("loss", loss);
    };
  }

  /** Pre-training (BLIP_Pretrain.forward): loss = ita + itm + lm, alpha ramped over two epochs. */
  public static Trainer.Objective<TextImageBatch> pretrain(BlipPretrain m, double alpha, long encId, long bosId) {
    return (b, s) -> {
      double a = Schedules.pretrainAlpha(alpha, s.epoch(), s.batch(), s.batchesPerEpoch());
      BlipPretrain.Losses l = m.forward(b.pixelTensor(), T.longs(b.ids()), T.longs(b.mask()), a, encId, bosId,
          NegativeSampler.seeded(s.stepSeed()));
      Map<String, Tensor> out = new LinkedHashMap<>();
      out.put("loss", l.total());
      out.put("loss_ita", l.ita());
      out.put("loss_itm", l.itm());
      out.put("loss_lm", l.lm());
      return out;
    };
  }

  /** Retrieval fine-tuning (BLIP_Retrieval.forward): loss = ita + itm, alpha ramped over epoch 0. */
  public static Trainer.Objective<TextImageBatch> retrieval(BlipRetrieval m, double alpha, long encId) {
    return (b, s) -> {
      double a = Schedules.retrievalAlpha(alpha, s.epoch(), s.batch(), s.batchesPerEpoch());
      BlipRetrieval.Losses l = m.forward(b.pixelTensor(), T.longs(b.ids()), T.longs(b.mask()),
          T.longs(b.imageIds(), b.imageIds().length), a, encId, NegativeSampler.seeded(s.stepSeed()));
      Map<String, Tensor> out = new LinkedHashMap<>();
      out.put("loss", l.total());
      out.put("loss_ita", l.ita());
      out.put("loss_itm", l.itm());
      return out;
    };
  }

  /** VQA (BLIP_VQA.forward(train=True)): weighted, label-smoothed answer loss. */
  public static Trainer.Objective<VqaBatch> vqa(BlipVqa m, long encId, long bosId) {
    return (b, s) -> {
      Tensor q = T.longs(b.questionIds());
      q.select(1, 0).fill_(T.s(encId));
      Tensor a = T.longs(b.answerIds());
      a.select(1, 0).fill_(T.s(bosId));
      Tensor pixels = T.floats(b.pixels(), b.questionIds().length, 3, b.size(), b.size());
      BlipVqa.TrainLoss l = m.trainLoss(pixels, q, T.longs(b.questionMask()), a, T.longs(b.answerMask()), b.n(),
          T.floats(b.weights(), b.weights().length));
      return Map.of("loss", l.loss());
    };
  }
}

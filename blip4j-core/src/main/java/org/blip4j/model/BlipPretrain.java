package org.blip4j.model;

import java.util.List;
import java.util.Map;
import org.blip4j.config.BlipConfig;
import org.blip4j.config.TextConfig;
import org.blip4j.engine.T;
import org.blip4j.model.text.BertLMHeadModel;
import org.blip4j.model.text.BertModel;
import org.blip4j.model.text.TextMode;
import org.blip4j.model.vision.VisionTransformer;
import org.blip4j.nn.Block;
import org.blip4j.nn.Linear;
import org.blip4j.train.NegativeSampler;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * BLIP pre-training with its three objectives, mirrors {@code models/blip_pretrain.py BLIP_Pretrain}: ITC with
 * momentum encoders, feature queues and soft targets; ITM with hard negatives; LM with label smoothing. The decoder
 * shares everything but self-attention with the encoder.
 *
 * <p>Shapes: B batch, N image tokens, L text length, E embed dim, Q queue size.
 */
public final class BlipPretrain extends Block {
  private final BlipConfig config;
  private final double momentum;
  private final VisionTransformer visualEncoder;
  private final BertModel textEncoder;
  private final BertLMHeadModel textDecoder;
  private final Linear visionProj;
  private final Linear textProj;
  private final Linear itmHead;
  private final VisionTransformer visualEncoderM;
  private final Linear visionProjM;
  private final BertModel textEncoderM;
  private final Linear textProjM;
  private final Tensor temp;
  private final Tensor imageQueue;
  private final Tensor textQueue;
  private final Tensor queuePtr;

  /** The three losses of one step and the ITM logits (3B, 2). */
  public record Losses(Tensor ita, Tensor itm, Tensor lm, Tensor itmLogits, float[][] weightsT2i,
      float[][] weightsI2t) {
    public Tensor total() {
      return ita.add(itm).add(lm);
    }
  }

  public BlipPretrain(BlipConfig c, int queueSize, double momentum) {
    this.config = c;
    this.momentum = momentum;
    TextConfig t = c.text().withEncoderWidth(c.vision().hiddenSize());
    int e = c.embedDim();
    this.visualEncoder = child("visual_encoder", new VisionTransformer(c.vision()));
    this.textEncoder = child("text_encoder", new BertModel(t));
    this.textDecoder = child("text_decoder", new BertLMHeadModel(t, textEncoder));
    this.visionProj = child("vision_proj", new Linear(c.vision().hiddenSize(), e));
    this.textProj = child("text_proj", new Linear(t.hiddenSize(), e));
    this.itmHead = child("itm_head", new Linear(t.hiddenSize(), 2));
    this.visualEncoderM = child("visual_encoder_m", new VisionTransformer(c.vision()));
    this.visionProjM = child("vision_proj_m", new Linear(c.vision().hiddenSize(), e));
    this.textEncoderM = child("text_encoder_m", new BertModel(t));
    this.textProjM = child("text_proj_m", new Linear(t.hiddenSize(), e));
    this.temp = register("temp", torch.full(new long[] {}, T.s(0.07)));
    this.imageQueue = buffer("image_queue", T.normalizeColumns(torch.randn(e, queueSize)));
    this.textQueue = buffer("text_queue", T.normalizeColumns(torch.randn(e, queueSize)));
    this.queuePtr = buffer("queue_ptr", T.longs(new long[] {0}, 1));
  }

  public BlipConfig config() {
    return config;
  }

  /** (online, momentum) pairs updated by {@link #momentumUpdate()}. */
  private List<Block[]> momentumPairs() {
    return List.of(new Block[] {visualEncoder, visualEncoderM}, new Block[] {visionProj, visionProjM},
        new Block[] {textEncoder, textEncoderM}, new Block[] {textProj, textProjM});
  }

  /** Copies the online weights into the momentum models ({@code copy_params}); they take no gradient. */
  public void copyParams() {
    try (NoGradGuard g = new NoGradGuard()) {
      for (Block[] p : momentumPairs()) {
        var online = p[0].namedTensors();
        p[1].namedTensors().forEach((k, v) -> v.copy_(online.get(k)));
      }
    }
  }

  /** θ_m ← m·θ_m + (1 − m)·θ for every momentum pair ({@code _momentum_update}). */
  void momentumUpdate() {
    for (Block[] p : momentumPairs()) {
      Map<String, Tensor> online = p[0].namedTensors();
      p[1].namedTensors().forEach((k, v) -> v.mul_(T.s(momentum)).add_(online.get(k).detach(), T.s(1 - momentum)));
    }
  }

  /** Parameters that the optimiser updates (the momentum models are excluded: they follow by EMA). */
  public Map<String, Tensor> trainableParameters() {
    Map<String, Tensor> all = namedParameters();
    all.keySet().removeIf(k -> k.startsWith("visual_encoder_m.") || k.startsWith("vision_proj_m.")
        || k.startsWith("text_encoder_m.") || k.startsWith("text_proj_m."));
    return all;
  }

  /**
   * One pre-training forward ({@code BLIP_Pretrain.forward}): ids (B, L) start with [CLS]; encId/bosId replace it
   * for ITM / LM; pads (mask 0) are ignored by the LM loss. Updates the momentum models and the queues.
   */
  public Losses forward(Tensor pixels, Tensor ids, Tensor mask, double alpha, long encId, long bosId,
      NegativeSampler sampler) {
    long b = ids.size(0);
    try (NoGradGuard g = new NoGradGuard()) {
      temp.clamp_(new ScalarOptional(T.s(0.001)), new ScalarOptional(T.s(0.5)));
    }
    Tensor imageEmbeds = visualEncoder.forward(pixels); // (B, N, W)
    Tensor imageFeat = T.normalize(visionProj.forward(imageEmbeds.select(1, 0))); // (B, E)
    Tensor textCls = textEncoder.forward(ids, mask, TextMode.UNIMODAL, null).select(1, 0); // (B, D)
    Tensor textFeat = T.normalize(textProj.forward(textCls)); // (B, E)

    Tensor imageFeatM;
    Tensor textFeatM;
    Tensor imageFeatAll;
    Tensor textFeatAll;
    Tensor i2tTargets;
    Tensor t2iTargets;
    try (NoGradGuard g = new NoGradGuard()) {
      momentumUpdate();
      imageFeatM = T.normalize(visionProjM.forward(visualEncoderM.forward(pixels).select(1, 0))); // (B, E)
      imageFeatAll = T.cat(1, imageFeatM.t(), imageQueue.clone()); // (E, B + Q)
      Tensor textClsM = textEncoderM.forward(ids, mask, TextMode.UNIMODAL, null).select(1, 0);
      textFeatM = T.normalize(textProjM.forward(textClsM)); // (B, E)
      textFeatAll = T.cat(1, textFeatM.t(), textQueue.clone()); // (E, B + Q)
      Tensor simI2tM = imageFeatM.matmul(textFeatAll).div(temp); // (B, B + Q)
      Tensor simT2iM = textFeatM.matmul(imageFeatAll).div(temp);
      Tensor eye = torch.zeros(simI2tM.size(0), simI2tM.size(1));
      eye.narrow(1, 0, b).copy_(torch.eye(b));
      i2tTargets = T.softmax(simI2tM, 1).mul(T.s(alpha)).add(eye.mul(T.s(1 - alpha)));
      t2iTargets = T.softmax(simT2iM, 1).mul(T.s(alpha)).add(eye.mul(T.s(1 - alpha)));
    }
    Tensor simI2t = imageFeat.matmul(textFeatAll).div(temp); // (B, B + Q)
    Tensor simT2i = textFeat.matmul(imageFeatAll).div(temp);
    Tensor lossI2t = softCrossEntropy(simI2t, i2tTargets);
    Tensor lossT2i = softCrossEntropy(simT2i, t2iTargets);
    Tensor lossIta = lossI2t.add(lossT2i).div(T.s(2.0));
    try (NoGradGuard g = new NoGradGuard()) {
      enqueue(imageFeatM, textFeatM);
    }

    // ITM with hard negatives drawn from the similarity distribution
    Tensor encIds = ids.clone();
    encIds.select(1, 0).fill_(T.s(encId));
    Tensor pos = textEncoder.forward(encIds, mask, TextMode.MULTIMODAL, imageEmbeds).select(1, 0); // (B, D)
    float[][] wT2i;
    float[][] wI2t;
    try (NoGradGuard g = new NoGradGuard()) {
      wT2i = negativeWeights(simT2i.narrow(1, 0, b));
      wI2t = negativeWeights(simI2t.narrow(1, 0, b));
    }
    long[] negImage = new long[(int) b];
    long[] negText = new long[(int) b];
    for (int i = 0; i < b; i++) {
      negImage[i] = sampler.draw(wT2i[i]);
    }
    for (int i = 0; i < b; i++) {
      negText[i] = sampler.draw(wI2t[i]);
    }
    Tensor negImg = imageEmbeds.index_select(0, T.longs(negImage, b)); // (B, N, W), gradient flows
    Tensor negIds = encIds.index_select(0, T.longs(negText, b));
    Tensor negMask = mask.index_select(0, T.longs(negText, b));
    Tensor idsAll = T.cat(0, encIds, negIds); // (2B, L)
    Tensor maskAll = T.cat(0, mask, negMask);
    Tensor imgAll = T.cat(0, negImg, imageEmbeds); // (2B, N, W)
    Tensor neg = textEncoder.forward(idsAll, maskAll, TextMode.MULTIMODAL, imgAll).select(1, 0); // (2B, D)
    Tensor itmLogits = itmHead.forward(T.cat(0, pos, neg)); // (3B, 2)
    long[] labels = new long[(int) (3 * b)];
    java.util.Arrays.fill(labels, 0, (int) b, 1L);
    Tensor lossItm = T.crossEntropy(itmLogits, T.longs(labels, 3 * b), 0.0);

    // LM: the same text with [DEC] first, pads ignored, label smoothing 0.1
    Tensor decIds = ids.clone();
    decIds.select(1, 0).fill_(T.s(bosId));
    Tensor targets = decIds.masked_fill(mask.eq(T.s(0L)), T.s(-100L));
    Tensor logits = textDecoder.forward(decIds, mask, imageEmbeds, null, null); // (B, L, V)
    Tensor lossLm = BlipDecoder.lmLoss(logits, targets, BlipDecoder.LABEL_SMOOTHING);
    return new Losses(lossIta, lossItm, lossLm, itmLogits, wT2i, wI2t);
  }

  /** −mean_rows Σ_j log_softmax(sim)_{ij} · target_{ij}. */
  static Tensor softCrossEntropy(Tensor sim, Tensor targets) {
    return torch.log_softmax(sim, 1).mul(targets).sum(new long[] {1}, false, new org.bytedeco.pytorch.ScalarTypeOptional())
        .mean().neg();
  }

  /** softmax(sim[:, :B]) + 1e-4 with the diagonal zeroed, as rows for the negative draws. */
  static float[][] negativeWeights(Tensor sim) {
    int b = (int) sim.size(0);
    float[] w = T.toFloats(T.softmax(sim, 1).add(T.s(1e-4)));
    float[][] rows = new float[b][b];
    for (int i = 0; i < b; i++) {
      System.arraycopy(w, i * b, rows[i], 0, b);
      rows[i][i] = 0;
    }
    return rows;
  }

  /** Writes the momentum features into the queues at the pointer and advances it ({@code _dequeue_and_enqueue}). */
  void enqueue(Tensor imageFeatM, Tensor textFeatM) {
    long b = imageFeatM.size(0);
    long q = imageQueue.size(1);
    long ptr = T.toLongs(queuePtr)[0];
    if (q % b != 0) {
      throw new IllegalArgumentException("queue size " + q + " is not a multiple of the batch size " + b);
    }
    imageQueue.narrow(1, ptr, b).copy_(imageFeatM.t());
    textQueue.narrow(1, ptr, b).copy_(textFeatM.t());
    queuePtr.fill_(T.s((ptr + b) % q));
  }

  public Tensor temp() {
    return temp;
  }
}

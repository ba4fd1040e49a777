package org.blip4j.model;

import org.blip4j.config.BlipConfig;
import org.blip4j.engine.T;
import org.blip4j.model.text.BertLMHeadModel;
import org.blip4j.model.vision.PatchPositionHead;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * BLIP pre-training with its three objectives, mirrors {@code models/blip_pretrain.py BLIP_Pretrain}: ITC with
 * momentum encoders, feature queues and soft targets; ITM with hard negatives; LM with label smoothing. The decoder
 * shares everything but self-attention with the encoder.
 */
public final class BlipPretrain extends ContrastiveModel {
    private final BertLMHeadModel textDecoder;
    private final PatchPositionHead patchPositionHead; // training-only, not BLIP's (shapes recipes); null: none

    /**
     * The three losses of one step, the ITM logits (3B, 2) and the rows the negatives were drawn from.
     *
     * @param place the patch-position loss ({@link PatchPositionHead}), or null without that head
     * @param visionProjOut {@code vision_proj(image_embeds[:, 0])} before normalising (B, E)
     * @param textProjOut {@code text_proj(text [CLS])} before normalising (B, E)
     */
    public record Losses(
            Tensor ita,
            Tensor itm,
            Tensor lm,
            Tensor itmLogits,
            float[][] weightsT2i,
            float[][] weightsI2t,
            Tensor visionProjOut,
            Tensor textProjOut,
            Tensor place) {
        public Tensor total() {
            Tensor t = ita.add(itm).add(lm);
            return place == null ? t : t.add(place);
        }
    }

    public BlipPretrain(BlipConfig c, int queueSize, double momentum) {
        this(c, queueSize, momentum, false);
    }

    /**
     * With {@code patchPositions}, a {@link PatchPositionHead} ({@code patch_position_head.*}) adds its loss, so the
     * image tokens keep where they lie through pre-training (recipe key {@code patch_positions}).
     */
    public BlipPretrain(BlipConfig c, int queueSize, double momentum, boolean patchPositions) {
        super(c, queueSize, momentum, "queue_ptr");
        this.textDecoder = child("text_decoder", new BertLMHeadModel(text, textEncoder));
        this.patchPositionHead =
                patchPositions ? child("patch_position_head", new PatchPositionHead(c.vision())) : null;
    }

    public BertLMHeadModel textDecoder() {
        return textDecoder;
    }

    /**
     * One pre-training forward ({@code BLIP_Pretrain.forward}): ids (B, L) start with [CLS]; encId / bosId replace it
     * for ITM / LM; pads (mask 0) are ignored by the LM loss. Updates the momentum models and the queues.
     */
    public Losses forward(
            Tensor pixels, Tensor ids, Tensor mask, double alpha, long encId, long bosId, NegativeSampler sampler) {
        return forward(pixels, ids, mask, alpha, encId, bosId, sampler, null);
    }

    /** As above, with known-false texts as ITM's text negatives where {@code hard} (null: none) has them. */
    public Losses forward(
            Tensor pixels,
            Tensor ids,
            Tensor mask,
            double alpha,
            long encId,
            long bosId,
            NegativeSampler sampler,
            TextNegatives hard) {
        long b = ids.size(0);
        Tensor eye = torch.zeros(b, b + imageQueue.size(1)); // hard targets: each pair is its own positive
        eye.narrow(1, 0, b).copy_(torch.eye(b));
        ItcStep itc = itc(pixels, ids, mask, alpha, eye);
        enqueue(itc.imageFeatM(), itc.textFeatM());

        Positives p = positives(ids, mask, itc.imageEmbeds(), encId);
        Tensor encIds = p.encIds();
        Tensor pos = p.cls(); // (B, D)
        float[][] wT2i;
        float[][] wI2t;
        try (NoGradGuard g = new NoGradGuard()) { // softmax(sim[:, :B]) + 1e-4, diagonal 0
            wT2i = Itc.rows(T.softmax(itc.simT2i().narrow(1, 0, b), 1).add(T.s(1e-4)), true);
            wI2t = Itc.rows(T.softmax(itc.simI2t().narrow(1, 0, b), 1).add(T.s(1e-4)), true);
        }
        Itc.Itm itm = Itc.itm(textEncoder, itmHead, pos, encIds, mask, itc.imageEmbeds(), wT2i, wI2t, sampler, hard);

        Tensor decIds = Itc.withFirstToken(ids, bosId); // LM: [DEC] first, pads ignored, label smoothing 0.1
        Tensor targets = BlipDecoder.targets(decIds, mask, 0);
        Tensor logits = textDecoder.forward(decIds, mask, itc.imageEmbeds(), null, null); // (B, L, V)
        Tensor lossLm = BlipDecoder.lmLoss(logits, targets, BlipDecoder.LABEL_SMOOTHING);
        Tensor place = patchPositionHead == null ? null : patchPositionHead.loss(itc.imageEmbeds());
        return new Losses(
                itc.loss(), itm.loss(), lossLm, itm.logits(), wT2i, wI2t, itc.imageProj(), itc.textProj(), place);
    }
}

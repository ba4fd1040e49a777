package org.blip4j.model;

import org.blip4j.config.BlipConfig;
import org.blip4j.engine.T;
import org.blip4j.model.text.BertLMHeadModel;
import org.blip4j.model.text.KvCache;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The captioning model, mirrors {@code models/blip.py BLIP_Decoder} (HF {@code BlipForConditionalGeneration}):
 * {@code visual_encoder} plus the image-grounded decoder {@code text_decoder}.
 *
 * <p>Shapes: B images/rows, N image tokens, L text length, V vocabulary.
 */
public final class BlipDecoder extends BlipModel {
    /** BLIP's caption loss smoothing. */
    public static final double LABEL_SMOOTHING = 0.1;

    private final BertLMHeadModel textDecoder;

    public BlipDecoder(BlipConfig c) {
        super(c, c.vision());
        this.textDecoder = child(
                "text_decoder",
                new BertLMHeadModel(c.text().withEncoderWidth(c.vision().hiddenSize())));
    }

    public BertLMHeadModel textDecoder() {
        return textDecoder;
    }

    /** Next-token logits (B, L, V) for decoder input ids (first token [DEC]) over image embeddings. */
    public Tensor logits(Tensor imageEmbeds, Tensor ids, Tensor mask) {
        return textDecoder.forward(ids, mask, imageEmbeds, null, null);
    }

    /**
     * BLIP_Decoder's loss: shifted cross-entropy with label smoothing 0.1, mean over targets that are not -100.
     * targets (B, L): the input ids with pads and prompt positions set to -100.
     */
    public Tensor loss(Tensor imageEmbeds, Tensor ids, Tensor mask, Tensor targets) {
        Tensor logits = logits(imageEmbeds, ids, mask); // (B, L, V)
        return lmLoss(logits, targets, LABEL_SMOOTHING);
    }

    /** Shifted LM loss: logits[:, :-1] predict targets[:, 1:]. */
    public static Tensor lmLoss(Tensor logits, Tensor targets, double smoothing) {
        long l = logits.size(1);
        long v = logits.size(2);
        Tensor shifted = logits.narrow(1, 0, l - 1).reshape(-1, v); // (B·(L-1), V)
        Tensor labels = targets.narrow(1, 1, l - 1).reshape(-1); // (B·(L-1))
        return T.crossEntropy(shifted, labels, smoothing);
    }

    /** Decoder targets: ids with pads (mask 0) and the first {@code promptLength} positions set to -100. */
    public static Tensor targets(Tensor ids, Tensor mask, int promptLength) {
        Tensor t = ids.masked_fill(mask.eq(T.s(0L)), T.s(-100L));
        if (promptLength > 0) {
            t.narrow(1, 0, promptLength).fill_(T.s(-100L));
        }
        return t;
    }

    /**
     * log p(text | image) of each row: the log-probability of every token from position {@code promptLength} on
     * (the text after [DEC] and the prompt, [SEP] included), summed over the tokens the mask keeps; no label
     * smoothing. ids and mask (B, L), ids starting with [DEC]; imageEmbeds (B, N, W). Returns (B).
     */
    public Tensor textLogLikelihood(Tensor imageEmbeds, Tensor ids, Tensor mask, int promptLength) {
        long n = ids.size(1) - promptLength; // scored tokens per row
        Tensor logits = logits(imageEmbeds, ids, mask); // (B, L, V)
        Tensor logp = logits.narrow(1, promptLength - 1, n).log_softmax(-1); // (B, n, V): position t predicts t+1
        Tensor next = ids.narrow(1, promptLength, n).unsqueeze(2); // (B, n, 1)
        Tensor keep = mask.narrow(1, promptLength, n).to(ScalarType.Float); // (B, n)
        return logp.gather(2, next).squeeze(2).mul(keep).sum(new long[] {1}, false, null); // (B)
    }

    /** Logits (B, V) of the next token after feeding {@code ids} (B, L') through the cache (one decode step). */
    public Tensor step(Tensor imageEmbeds, Tensor ids, KvCache cache) {
        Tensor logits = textDecoder.forward(ids, null, imageEmbeds, null, cache); // (B, L', V)
        return logits.select(1, logits.size(1) - 1);
    }
}

package org.blip4j.model;

import java.util.Arrays;
import org.blip4j.engine.T;
import org.blip4j.model.text.BertModel;
import org.blip4j.model.text.TextMode;
import org.blip4j.nn.Linear;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The contrastive and matching pieces shared by BLIP_Pretrain and BLIP_Retrieval (paper §3.2), mirrors the ITC and ITM
 * parts of {@code models/blip_pretrain.py} and {@code models/blip_retrieval.py} {@code forward()}.
 */
final class Itc {
    private Itc() {}

    /** −mean_rows Σ_j log_softmax(sim)_{ij} · target_{ij}. */
    static Tensor softCrossEntropy(Tensor sim, Tensor targets) {
        return torch.log_softmax(sim, 1)
                .mul(targets)
                .sum(new long[] {1}, false, new ScalarTypeOptional())
                .mean()
                .neg();
    }

    /** A (B, C) weight matrix as Java rows, optionally with the diagonal zeroed. */
    static float[][] rows(Tensor w, boolean zeroDiagonal) {
        float[][] out = T.toRows(w);
        for (int i = 0; zeroDiagonal && i < out.length; i++) {
            out[i][i] = 0;
        }
        return out;
    }

    /** A copy of ids (B, L) whose first token is {@code token} ([ENC] for ITM, [DEC] for LM). */
    static Tensor withFirstToken(Tensor ids, long token) {
        Tensor out = ids.clone();
        out.select(1, 0).fill_(T.s(token));
        return out;
    }

    /** ITM logits (3B, 2) over [positives; text + negative image; negative text + image] and their CE loss. */
    record Itm(Tensor logits, Tensor loss) {}

    /**
     * Draws one negative image per text (rows of wT2i, first) and one negative text per image (rows of wI2t), runs the
     * image-grounded encoder over the 2B negative pairs and applies the ITM head with labels [1]·B + [0]·2B.
     */
    static Itm itm(
            BertModel encoder,
            Linear head,
            Tensor pos,
            Tensor encIds,
            Tensor mask,
            Tensor imageEmbeds,
            float[][] wT2i,
            float[][] wI2t,
            NegativeSampler sampler,
            TextNegatives hard) {
        return itm(encoder, head, pos, encIds, mask, imageEmbeds, imageEmbeds, encIds, mask, wT2i, wI2t, sampler, hard);
    }

    /**
     * As above, with the negatives drawn from candidate tensors other than the batch's own: every rank's image
     * embeddings, ids and masks ({@code negative_all_rank}); row j of the weights scores candidate j. With
     * {@code hard} (null: none), image i's text negative is its known-false text where it has one (the draw is still
     * made, so the other rows see the same draws).
     */
    static Itm itm(
            BertModel encoder,
            Linear head,
            Tensor pos,
            Tensor encIds,
            Tensor mask,
            Tensor imageEmbeds,
            Tensor imageCandidates,
            Tensor idsCandidates,
            Tensor maskCandidates,
            float[][] wT2i,
            float[][] wI2t,
            NegativeSampler sampler,
            TextNegatives hard) {
        int b = wT2i.length;
        if (hard != null && hard.knownTrue() != null) {
            if (wT2i[0].length != b || wI2t[0].length != b) {
                throw new IllegalArgumentException("known-true pairs need negatives from this rank's batch only (" + b
                        + " candidates, got " + wT2i[0].length + "): turn negative_all_rank off");
            }
            float[][][] masked = maskKnownTrue(wT2i, wI2t, hard.knownTrue());
            wT2i = masked[0];
            wI2t = masked[1];
        }
        long[] negImage = new long[b];
        long[] negText = new long[b];
        for (int i = 0; i < b; i++) {
            negImage[i] = sampler.draw(wT2i[i]);
        }
        for (int i = 0; i < b; i++) {
            negText[i] = sampler.draw(wI2t[i]);
        }
        Tensor negImg = imageCandidates.index_select(0, T.longs(negImage, b)); // (B, N, W), gradient flows
        Tensor negIds = idsCandidates.index_select(0, T.longs(negText, b));
        Tensor negMask = maskCandidates.index_select(0, T.longs(negText, b));
        if (hard != null && hard.hasTexts()) {
            long length = Math.max(encIds.size(1), hard.ids().size(1));
            encIds = pad(encIds, length);
            mask = pad(mask, length);
            long[] pick = new long[b]; // row i of [mined; hard]: i, or b + i where image i has a known-false text
            for (int i = 0; i < b; i++) {
                pick[i] = hard.rows()[i] ? b + i : i;
            }
            Tensor rows = T.longs(pick, b);
            negIds = T.cat(0, pad(negIds, length), pad(hard.ids(), length)).index_select(0, rows); // (B, L')
            negMask = T.cat(0, pad(negMask, length), pad(hard.mask(), length)).index_select(0, rows);
        }
        Tensor idsAll = T.cat(0, encIds, negIds); // (2B, L)
        Tensor maskAll = T.cat(0, mask, negMask);
        Tensor imgAll = T.cat(0, negImg, imageEmbeds); // (2B, N, W)
        Tensor neg =
                encoder.forward(idsAll, maskAll, TextMode.MULTIMODAL, imgAll).select(1, 0); // (2B, D)
        Tensor logits = head.forward(T.cat(0, pos, neg)); // (3B, 2)
        long[] labels = new long[3 * b];
        Arrays.fill(labels, 0, b, 1L);
        return new Itm(logits, T.crossEntropy(logits, T.longs(labels, 3L * b), 0.0));
    }

    /**
     * The mining weights with known-true pairs removed: text j is not drawn as image i's negative, nor image i as
     * text j's, where {@code knownTrue[i][j]} (text j holds for image i). A row left with no weight keeps its
     * weights (nothing false to draw; BLIP's own draw). Returns copies {wT2i, wI2t}; the inputs are unchanged.
     */
    static float[][][] maskKnownTrue(float[][] wT2i, float[][] wI2t, boolean[][] knownTrue) {
        int b = knownTrue.length;
        float[][] t2i = new float[b][];
        float[][] i2t = new float[b][];
        for (int r = 0; r < b; r++) {
            float[] t = wT2i[r].clone(); // text r: drop images it holds for
            float[] im = wI2t[r].clone(); // image r: drop texts that hold for it
            for (int c = 0; c < b; c++) {
                if (knownTrue[c][r]) {
                    t[c] = 0;
                }
                if (knownTrue[r][c]) {
                    im[c] = 0;
                }
            }
            t2i[r] = anyPositive(t) ? t : wT2i[r].clone();
            i2t[r] = anyPositive(im) ? im : wI2t[r].clone();
        }
        return new float[][][] {t2i, i2t};
    }

    private static boolean anyPositive(float[] w) {
        for (float x : w) {
            if (x > 0) {
                return true;
            }
        }
        return false;
    }

    /** Right-pads (B, L) token rows with zeros (pad id and mask 0) to {@code length}. */
    static Tensor pad(Tensor t, long length) {
        long extra = length - t.size(1);
        return extra == 0 ? t : T.cat(1, t, torch.zeros(new long[] {t.size(0), extra}, t.options()));
    }
}

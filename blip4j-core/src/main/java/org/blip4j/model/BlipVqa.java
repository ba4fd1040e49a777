package org.blip4j.model;

import org.blip4j.config.BlipConfig;
import org.blip4j.model.text.BertLMHeadModel;
import org.blip4j.model.text.BertModel;
import org.blip4j.model.text.TextMode;
import org.blip4j.model.vision.PatchRelationHead;
import org.bytedeco.pytorch.Tensor;

/**
 * Visual question answering, mirrors {@code models/blip_vqa.py BLIP_VQA} (HF {@code BlipForQuestionAnswering}):
 * {@code visual_encoder}, the image-grounded question encoder {@code text_encoder}, and an answer decoder
 * {@code text_decoder} that cross-attends to the question states (so its cross-attention width is the text width).
 */
public final class BlipVqa extends BlipModel {
    /** BLIP_VQA builds its ViT with drop_path_rate 0.1 (training only). */
    public static final double DROP_PATH = 0.1;

    private final BertModel textEncoder;
    private final BertLMHeadModel textDecoder;
    private final PatchRelationHead patchRelationHead; // training-only, not BLIP's (shapes recipes); null: none

    public BlipVqa(BlipConfig c) {
        this(c, null);
    }

    /**
     * With {@code patchRelations} (classes of the world's relation labels, or null), a {@link PatchRelationHead}
     * ({@code patch_relation_head.*}) adds its loss when the batch brings labels: the image tokens learn what each
     * object has around it (recipe key {@code patch_relations}).
     */
    public BlipVqa(BlipConfig c, PatchRelationHead.Classes patchRelations) {
        super(
                c,
                c.vision()
                        .withDropPath(c.vision().dropPathRate() > 0 ? c.vision().dropPathRate() : DROP_PATH));
        this.textEncoder = child(
                "text_encoder",
                new BertModel(c.text().withEncoderWidth(c.vision().hiddenSize())));
        this.textDecoder = child(
                "text_decoder",
                new BertLMHeadModel(c.text().withEncoderWidth(c.text().hiddenSize())));
        this.patchRelationHead = patchRelations != null
                ? child("patch_relation_head", new PatchRelationHead(c.vision(), patchRelations))
                : null;
    }

    /** The training-only patch-relation head, or null. */
    public PatchRelationHead patchRelationHead() {
        return patchRelationHead;
    }

    public BertLMHeadModel textDecoder() {
        return textDecoder;
    }

    /**
     * Picks the best answer from a list, mirrors {@code BLIP_VQA.rank_answer}: the first answer token's probability
     * after [DEC] selects the top k candidates, which are then scored by the negated, label-smoothed (0.1) summed loss
     * of the whole answer; the first-token probability is not added. Question states (1, Lq, D) and mask (1, Lq);
     * answers (A, La) with [DEC] first, padded. Returns the index of the best answer and the k candidate scores.
     */
    public Ranking rankAnswers(Tensor questionStates, Tensor questionMask, Tensor answerIds, Tensor answerMask, int k) {
        long a = answerIds.size(0);
        long la = answerIds.size(1);
        int kk = (int) Math.min(k, a);
        Tensor start = answerIds.narrow(0, 0, 1).narrow(1, 0, 1); // (1, 1) [DEC]
        Tensor first = textDecoder
                .forward(start, null, questionStates, questionMask, null)
                .select(1, 0); // (1, V)
        Tensor probs = org.blip4j.engine.T.softmax(first, -1).index_select(1, answerIds.select(1, 1)); // (1, A)
        var top = probs.topk(kk, 1, true, true);
        Tensor topIds = top.get1().select(0, 0); // (k)
        Tensor ids = answerIds.index_select(0, topIds); // (k, La)
        Tensor mask = answerMask.index_select(0, topIds);
        Tensor targets = BlipDecoder.targets(ids, mask, 0);
        Tensor logits = textDecoder.forward(ids, mask, questionStates, questionMask, null); // (k, La, V), states shared
        Tensor score = sequenceLoss(logits, targets).neg(); // (k)
        float[] sc = org.blip4j.engine.T.toFloats(score);
        long[] cand = org.blip4j.engine.T.toLongs(topIds);
        int best = 0;
        for (int i = 1; i < sc.length; i++) {
            if (sc[i] > sc[best]) {
                best = i;
            }
        }
        return new Ranking((int) cand[best], cand, sc);
    }

    /** The VQA training loss, the per-answer summed losses and the patch-relation term (null without the head). */
    public record TrainLoss(Tensor loss, Tensor answerLoss, Tensor relationLoss) {}

    /**
     * BLIP_VQA's training loss ({@code forward(train=True)}): question ids with [ENC] first; each question's states and
     * real mask are repeated n[b] times for its answers ([DEC] first, padded); per-answer sums of the label-smoothed
     * (0.1) loss are weighted and divided by the number of questions.
     */
    public TrainLoss trainLoss(
            Tensor pixels,
            Tensor questionIds,
            Tensor questionMask,
            Tensor answerIds,
            Tensor answerMask,
            long[] n,
            Tensor weights) {
        return trainLoss(pixels, questionIds, questionMask, answerIds, answerMask, n, weights, null);
    }

    /**
     * As {@link #trainLoss(Tensor, Tensor, Tensor, Tensor, Tensor, long[], Tensor)}; with patch-relation labels (one
     * row's per image, {@code PatchGrid#relationLabels}) and the head, its loss is added to the answer loss.
     */
    public TrainLoss trainLoss(
            Tensor pixels,
            Tensor questionIds,
            Tensor questionMask,
            Tensor answerIds,
            Tensor answerMask,
            long[] n,
            Tensor weights,
            long[] patchRelations) {
        Tensor image = encodeImage(pixels); // (Bq, 1+N, D)
        Tensor states = questionStates(image, questionIds, questionMask); // (Bq, Lq, D)
        long[] rows = new long[(int) java.util.Arrays.stream(n).sum()];
        for (int q = 0, r = 0; q < n.length; q++) {
            for (int j = 0; j < n[q]; j++) {
                rows[r++] = q;
            }
        }
        Tensor sel = org.blip4j.engine.T.longs(rows, rows.length);
        Tensor targets = BlipDecoder.targets(answerIds, answerMask, 0);
        Tensor logits = textDecoder.forward(
                answerIds,
                answerMask,
                states.index_select(0, sel),
                questionMask.index_select(0, sel),
                null); // (A, La, V)
        Tensor answerLoss = sequenceLoss(logits, targets); // (A)
        Tensor loss = weights.mul(answerLoss).sum().div(org.blip4j.engine.T.s((double) n.length));
        if (patchRelationHead == null || patchRelations == null) {
            return new TrainLoss(loss, answerLoss, null);
        }
        Tensor relation = patchRelationHead.loss(image, patchRelations);
        return new TrainLoss(loss.add(relation), answerLoss, relation);
    }

    /** Per-sequence sum of the shifted, label-smoothed (0.1) cross-entropy (reference {@code reduction='none'}). */
    static Tensor sequenceLoss(Tensor logits, Tensor targets) {
        long a = logits.size(0);
        long l = logits.size(1);
        long v = logits.size(2);
        Tensor perToken = org.blip4j.engine.T.crossEntropyPerToken(
                logits.narrow(1, 0, l - 1).reshape(-1, v),
                targets.narrow(1, 1, l - 1).reshape(-1),
                0.1); // (A·(L-1))
        return perToken.view(a, l - 1).sum(new long[] {1}, false, new org.bytedeco.pytorch.ScalarTypeOptional());
    }

    /** The chosen answer index and the candidates (answer indices) with their log-likelihood scores. */
    public record Ranking(int best, long[] candidates, float[] scores) {}

    /** Question states (B, Lq, D): ids with [ENC] first, cross-attending to the image. */
    public Tensor questionStates(Tensor imageEmbeds, Tensor ids, Tensor mask) {
        return textEncoder.forward(ids, mask, TextMode.MULTIMODAL, imageEmbeds);
    }
}

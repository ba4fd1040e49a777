package org.blip4j.model;

import java.util.List;
import java.util.Map;
import org.blip4j.config.BlipConfig;
import org.blip4j.config.TextConfig;
import org.blip4j.dist.Distributed;
import org.blip4j.engine.T;
import org.blip4j.model.text.BertModel;
import org.blip4j.model.text.TextMode;
import org.blip4j.model.vision.VisionTransformer;
import org.blip4j.nn.Block;
import org.blip4j.nn.Linear;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The image–text contrastive part that BLIP_Pretrain and BLIP_Retrieval share: online and momentum encoders and
 * projections, feature queues, learnable temperature, and the ITM head.
 *
 * <p>Shapes: B batch, N image tokens, L text length, E embed dim, Q queue size.
 */
abstract class ContrastiveModel extends Block {
    protected final BlipConfig config;
    protected final TextConfig text;
    private final double momentum;
    protected final VisionTransformer visualEncoder;
    protected final BertModel textEncoder;
    protected final Linear visionProj;
    protected final Linear textProj;
    protected final Linear itmHead;
    private final VisionTransformer visualEncoderM;
    private final Linear visionProjM;
    private final BertModel textEncoderM;
    private final Linear textProjM;
    protected final Tensor temp;
    protected final Tensor imageQueue;
    protected final Tensor textQueue;
    protected final Tensor queuePtr;
    protected Distributed dist = Distributed.single();

    /** Online projections (before normalising) and features, momentum features and the ITC loss of one batch. */
    record ItcStep(
            Tensor imageEmbeds,
            Tensor imageProj,
            Tensor textProj,
            Tensor imageFeat,
            Tensor textFeat,
            Tensor imageFeatM,
            Tensor textFeatM,
            Tensor simI2t,
            Tensor simT2i,
            Tensor loss) {}

    ContrastiveModel(BlipConfig c, int queueSize, double momentum, String pointerName) {
        this.config = c;
        this.text = c.text().withEncoderWidth(c.vision().hiddenSize());
        this.momentum = momentum;
        int e = c.embedDim();
        this.visualEncoder = child("visual_encoder", new VisionTransformer(c.vision()));
        this.textEncoder = child("text_encoder", new BertModel(text));
        this.visionProj = child("vision_proj", new Linear(c.vision().hiddenSize(), e));
        this.textProj = child("text_proj", new Linear(text.hiddenSize(), e));
        this.itmHead = child("itm_head", new Linear(text.hiddenSize(), 2));
        this.visualEncoderM = child("visual_encoder_m", new VisionTransformer(c.vision()));
        this.visionProjM = child("vision_proj_m", new Linear(c.vision().hiddenSize(), e));
        this.textEncoderM = child("text_encoder_m", new BertModel(text));
        this.textProjM = child("text_proj_m", new Linear(text.hiddenSize(), e));
        this.temp = register("temp", torch.full(new long[] {}, T.s(0.07)));
        this.imageQueue = buffer("image_queue", T.normalizeColumns(torch.randn(e, queueSize)));
        this.textQueue = buffer("text_queue", T.normalizeColumns(torch.randn(e, queueSize)));
        this.queuePtr = buffer(pointerName, T.longs(new long[] {0}, 1));
    }

    public BlipConfig config() {
        return config;
    }

    public Tensor temp() {
        return temp;
    }

    /**
     * Trains as one rank of a data-parallel job: the momentum features pushed into the queues are gathered from
     * every rank first ({@code concat_all_gather}), as the reference's {@code _dequeue_and_enqueue}.
     */
    public void distributed(Distributed d) {
        this.dist = d;
    }

    private List<Block[]> momentumPairs() {
        return List.of(
                new Block[] {visualEncoder, visualEncoderM},
                new Block[] {visionProj, visionProjM},
                new Block[] {textEncoder, textEncoderM},
                new Block[] {textProj, textProjM});
    }

    /** Copies the online weights into the momentum models ({@code copy_params}). */
    public void copyParams() {
        try (NoGradGuard g = new NoGradGuard()) {
            for (Block[] p : momentumPairs()) {
                Map<String, Tensor> online = p[0].namedTensors();
                p[1].namedTensors().forEach((k, v) -> v.copy_(online.get(k)));
            }
        }
    }

    /** Parameters the optimiser updates: everything but the momentum models, which follow by EMA. */
    public Map<String, Tensor> trainableParameters() {
        Map<String, Tensor> all = namedParameters();
        all.keySet()
                .removeIf(k -> k.startsWith("visual_encoder_m.")
                        || k.startsWith("vision_proj_m.")
                        || k.startsWith("text_encoder_m.")
                        || k.startsWith("text_proj_m."));
        return all;
    }

    /**
     * ITC as the reference: clamp temp in place; online features; under no_grad the momentum update, momentum
     * features and soft targets {@code alpha·softmax(sim_m) + (1−alpha)·positives}; loss = mean of both directions.
     * {@code positives} (B, B + Q) is the hard target distribution (identity for pre-training, same-id for retrieval).
     */
    ItcStep itc(Tensor pixels, Tensor ids, Tensor mask, double alpha, Tensor positives) {
        try (NoGradGuard g = new NoGradGuard()) {
            temp.clamp_(new ScalarOptional(T.s(0.001)), new ScalarOptional(T.s(0.5)));
        }
        Tensor imageEmbeds = visualEncoder.forward(pixels); // (B, N, W)
        Tensor imageProj = visionProj.forward(imageEmbeds.select(1, 0)); // (B, E)
        Tensor imageFeat = T.normalize(imageProj);
        Tensor textCls = textEncoder.forward(ids, mask, TextMode.UNIMODAL, null).select(1, 0); // (B, D)
        Tensor textProjected = textProj.forward(textCls); // (B, E)
        Tensor textFeat = T.normalize(textProjected);
        Tensor imageFeatM;
        Tensor textFeatM;
        Tensor imageFeatAll;
        Tensor textFeatAll;
        Tensor i2tTargets;
        Tensor t2iTargets;
        try (NoGradGuard g = new NoGradGuard()) {
            for (Block[] p : momentumPairs()) { // θ_m ← m·θ_m + (1 − m)·θ
                Map<String, Tensor> online = p[0].namedTensors();
                p[1].namedTensors()
                        .forEach((k, v) ->
                                v.mul_(T.s(momentum)).add_(online.get(k).detach(), T.s(1 - momentum)));
            }
            imageFeatM = T.normalize(
                    visionProjM.forward(visualEncoderM.forward(pixels).select(1, 0))); // (B, E)
            imageFeatAll = T.cat(1, imageFeatM.t(), imageQueue.clone()); // (E, B + Q)
            textFeatM = T.normalize(textProjM.forward(
                    textEncoderM.forward(ids, mask, TextMode.UNIMODAL, null).select(1, 0)));
            textFeatAll = T.cat(1, textFeatM.t(), textQueue.clone()); // (E, B + Q)
            Tensor simI2tM = imageFeatM.matmul(textFeatAll).div(temp); // (B, B + Q)
            Tensor simT2iM = textFeatM.matmul(imageFeatAll).div(temp);
            i2tTargets = T.softmax(simI2tM, 1).mul(T.s(alpha)).add(positives.mul(T.s(1 - alpha)));
            t2iTargets = T.softmax(simT2iM, 1).mul(T.s(alpha)).add(positives.mul(T.s(1 - alpha)));
        }
        Tensor simI2t = imageFeat.matmul(textFeatAll).div(temp); // (B, B + Q)
        Tensor simT2i = textFeat.matmul(imageFeatAll).div(temp);
        Tensor loss = Itc.softCrossEntropy(simI2t, i2tTargets)
                .add(Itc.softCrossEntropy(simT2i, t2iTargets))
                .div(T.s(2.0));
        return new ItcStep(
                imageEmbeds,
                imageProj,
                textProjected,
                imageFeat,
                textFeat,
                imageFeatM,
                textFeatM,
                simI2t,
                simT2i,
                loss);
    }

    /**
     * Writes every rank's momentum features ({@code concat_all_gather}, rank order) into the queues at the pointer and
     * advances it ({@code _dequeue_and_enqueue}); returns the pointer before the write.
     */
    long enqueue(Tensor localImageFeatM, Tensor localTextFeatM) {
        Tensor imageFeatM = dist.allGather(localImageFeatM); // (W·B, E)
        Tensor textFeatM = dist.allGather(localTextFeatM);
        long b = imageFeatM.size(0);
        long q = imageQueue.size(1);
        long ptr = T.toLongs(queuePtr)[0];
        if (q % b != 0) {
            throw new IllegalArgumentException("queue size " + q + " is not a multiple of the batch size " + b
                    + (dist.enabled() ? " (" + dist.worldSize() + " ranks × " + localImageFeatM.size(0) + ")" : "")
                    + " (BLIP asserts this; choose a batch size that divides the queue)");
        }
        try (NoGradGuard g = new NoGradGuard()) {
            imageQueue.narrow(1, ptr, b).copy_(imageFeatM.t());
            textQueue.narrow(1, ptr, b).copy_(textFeatM.t());
            queuePtr.fill_(T.s((ptr + b) % q));
        }
        return ptr;
    }
}

package org.blip4j.model;

import org.blip4j.config.BlipConfig;
import org.blip4j.model.text.BertModel;
import org.blip4j.model.text.TextMode;
import org.blip4j.model.vision.VisionTransformer;
import org.blip4j.nn.Block;
import org.blip4j.nn.Linear;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * NLVR2 (two images + a statement → true/false), mirrors {@code models/blip_nlvr.py BLIP_NLVR}: the text encoder's
 * cross-attention is doubled ({@code nlvr_encoder.py}) and {@code cls_head} is Linear, ReLU, Linear.
 */
public final class BlipNlvr extends Block {
    private final VisionTransformer visualEncoder;
    private final BertModel textEncoder;
    private final ClsHead clsHead;

    public BlipNlvr(BlipConfig c) {
        this.visualEncoder =
                child("visual_encoder", new VisionTransformer(c.vision().withDropPath(0.1))); // as BLIP_NLVR
        this.textEncoder = child(
                "text_encoder",
                new BertModel(c.text().withEncoderWidth(c.vision().hiddenSize()), true));
        this.clsHead = child("cls_head", new ClsHead(c.text().hiddenSize()));
    }

    /**
     * Adapts a pre-trained (single cross-attention) state dict to this model, as {@code blip_nlvr.load_checkpoint}:
     * each layer's {@code crossattention.self.*} is copied into {@code self0} and {@code self1}, and
     * {@code crossattention.output.dense} into {@code dense0} and {@code dense1}; {@code merge_layer} and
     * {@code cls_head} stay new. NLVR2 checkpoints (already twinned) pass through unchanged.
     */
    public static java.util.Map<String, org.blip4j.io.RawTensor> twinned(
            java.util.Map<String, org.blip4j.io.RawTensor> sd) {
        java.util.Map<String, org.blip4j.io.RawTensor> out = new java.util.LinkedHashMap<>();
        for (var e : sd.entrySet()) {
            String k = e.getKey();
            if (k.startsWith("text_encoder.") && k.contains(".crossattention.self.")) {
                out.put(k.replace(".crossattention.self.", ".crossattention.self0."), e.getValue());
                out.put(k.replace(".crossattention.self.", ".crossattention.self1."), e.getValue());
            } else if (k.startsWith("text_encoder.") && k.contains(".crossattention.output.dense.")) {
                out.put(k.replace(".crossattention.output.dense.", ".crossattention.output.dense0."), e.getValue());
                out.put(k.replace(".crossattention.output.dense.", ".crossattention.output.dense1."), e.getValue());
            } else {
                out.put(k, e.getValue());
            }
        }
        return out;
    }

    /** Logits (B, 2) (class 1 = true) for statements ([ENC] first) about image pairs (B, N, W) each. */
    public Tensor logits(Tensor image0, Tensor image1, Tensor ids, Tensor mask) {
        return clsHead.forward(encoderStates(image0, image1, ids, mask).select(1, 0));
    }

    /** The twin-cross-attention encoder's states (B, L, D) for statements about image pairs. */
    public Tensor encoderStates(Tensor image0, Tensor image1, Tensor ids, Tensor mask) {
        return textEncoder.forward(ids, mask, TextMode.MULTIMODAL, new Tensor[] {image0, image1}, null, null);
    }

    public VisionTransformer visualEncoder() {
        return visualEncoder;
    }

    /** Sequential(Linear, ReLU, Linear) stored as {@code cls_head.0} and {@code cls_head.2}. */
    static final class ClsHead extends Block {
        private final Linear first;
        private final Linear second;

        ClsHead(int hidden) {
            this.first = child("0", new Linear(hidden, hidden));
            this.second = child("2", new Linear(hidden, 2));
        }

        Tensor forward(Tensor x) {
            return second.forward(torch.relu(first.forward(x)));
        }
    }
}

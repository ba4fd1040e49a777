package org.blip4j.model;

import org.blip4j.config.BlipConfig;
import org.blip4j.engine.T;
import org.blip4j.model.text.BertModel;
import org.blip4j.model.text.TextMode;
import org.blip4j.model.vision.VisionTransformer;
import org.blip4j.nn.Block;
import org.blip4j.nn.Linear;
import org.bytedeco.pytorch.Tensor;

/**
 * Image–text matching and contrastive features, mirrors {@code models/blip_itm.py BLIP_ITM} and the online part of
 * {@code blip_retrieval.py BLIP_Retrieval} (HF {@code BlipForImageTextRetrieval}): {@code visual_encoder},
 * {@code text_encoder}, {@code vision_proj}, {@code text_proj}, {@code itm_head}.
 *
 * <p>Shapes: B images/rows, N image tokens, L text length, D text width, E embed dim.
 */
public final class BlipItm extends Block {
    private final BlipConfig config;
    private final VisionTransformer visualEncoder;
    private final BertModel textEncoder;
    private final Linear visionProj;
    private final Linear textProj;
    private final Linear itmHead;

    public BlipItm(BlipConfig c) {
        this.config = c;
        this.visualEncoder = child("visual_encoder", new VisionTransformer(c.vision()));
        this.textEncoder = child(
                "text_encoder",
                new BertModel(c.text().withEncoderWidth(c.vision().hiddenSize())));
        this.visionProj = child("vision_proj", new Linear(c.vision().hiddenSize(), c.embedDim()));
        this.textProj = child("text_proj", new Linear(c.text().hiddenSize(), c.embedDim()));
        this.itmHead = child("itm_head", new Linear(c.text().hiddenSize(), 2));
    }

    public BlipConfig config() {
        return config;
    }

    public VisionTransformer visualEncoder() {
        return visualEncoder;
    }

    public BertModel textEncoder() {
        return textEncoder;
    }

    public Tensor encodeImage(Tensor pixels) {
        return visualEncoder.forward(pixels); // (B, N, W)
    }

    /** Unimodal text states (B, L, D): [CLS] first, no cross-attention. */
    public Tensor textStates(Tensor ids, Tensor mask) {
        return textEncoder.forward(ids, mask, TextMode.UNIMODAL, null);
    }

    /** vision_proj of [CLS] states (B, W) → (B, E), not normalised. */
    public Tensor visionProjection(Tensor cls) {
        return visionProj.forward(cls);
    }

    /** normalize(vision_proj(image_embeds[:, 0])) (B, E). */
    public Tensor imageFeature(Tensor imageEmbeds) {
        return T.normalize(visionProj.forward(imageEmbeds.select(1, 0)));
    }

    /** normalize(text_proj(text [CLS])) (B, E). */
    public Tensor textFeature(Tensor ids, Tensor mask) {
        return T.normalize(textProj.forward(textStates(ids, mask).select(1, 0)));
    }

    /**
     * ITM logits (B, 2) for texts cross-attending to their images (imageEmbeds (B', N, W) with B = B'·g). The caller
     * decides the first token: BLIP_ITM keeps [CLS]; retrieval evaluation and LAVIS put [ENC].
     */
    public Tensor itmLogits(Tensor imageEmbeds, Tensor ids, Tensor mask) {
        return itmHead.forward(multimodalStates(imageEmbeds, ids, mask).select(1, 0));
    }

    /** Image-grounded text states (B, L, D): the text cross-attends to its image (B' = B/g images, rows grouped). */
    public Tensor multimodalStates(Tensor imageEmbeds, Tensor ids, Tensor mask) {
        return textEncoder.forward(ids, mask, TextMode.MULTIMODAL, imageEmbeds); // (B, L, D)
    }
}

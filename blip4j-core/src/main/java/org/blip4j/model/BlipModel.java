package org.blip4j.model;

import org.blip4j.config.BlipConfig;
import org.blip4j.config.VisionConfig;
import org.blip4j.model.vision.VisionTransformer;
import org.blip4j.nn.Block;
import org.bytedeco.pytorch.Tensor;

/**
 * What every BLIP model shares (each {@code models/blip*.py} model's {@code create_vit}): its config and the ViT image
 * encoder, registered first as {@code visual_encoder}.
 */
public abstract class BlipModel extends Block {
    private final BlipConfig config;
    final VisionTransformer visualEncoder;

    /** {@code vision}: the model's ViT config (the model's own drop-path rate, where it sets one). */
    BlipModel(BlipConfig config, VisionConfig vision) {
        this.config = config;
        this.visualEncoder = child("visual_encoder", new VisionTransformer(vision));
    }

    public BlipConfig config() {
        return config;
    }

    public VisionTransformer visualEncoder() {
        return visualEncoder;
    }

    /** Image embeddings (B, N, W) from pixels (B, 3, S, S). */
    public Tensor encodeImage(Tensor pixels) {
        return visualEncoder.forward(pixels);
    }
}

package org.blip4j.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The whole model's sizes: ViT, MED text transformer and the ITC projection width ({@code embed_dim}, HF
 * {@code image_text_hidden_size}). Mirrors BLIP's constructor arguments and HF {@code BlipConfig}.
 */
public record BlipConfig(VisionConfig vision, TextConfig text, int embedDim) {

    public BlipConfig {
        ConfigException.require(vision != null && text != null, "vision and text configs are required");
        ConfigException.require(embedDim > 0, "embed_dim must be positive");
    }

    /** BLIP-base (ViT-B/16, BERT-base) at an image size. */
    public static BlipConfig base(int imageSize) {
        return new BlipConfig(VisionConfig.base(imageSize), TextConfig.base(768), 256);
    }

    /** BLIP-large (ViT-L/16, BERT-base reading 1024-wide image states). */
    public static BlipConfig large(int imageSize) {
        return new BlipConfig(VisionConfig.large(imageSize), TextConfig.base(1024), 256);
    }

    /** Reads an HF {@code config.json} (BlipConfig with text_config and vision_config). */
    public static BlipConfig readHf(Path configJson) throws IOException {
        JsonNode root = readJson(configJson);
        try {
            if (!root.has("vision_config") || !root.has("text_config")) {
                throw new ConfigException("not a BLIP config: needs text_config and vision_config");
            }
            VisionConfig v = VisionConfig.fromHf(root.get("vision_config"));
            TextConfig t = TextConfig.fromHf(root.get("text_config"));
            int embed = ConfigException.intField(root, "image_text_hidden_size", 256);
            return new BlipConfig(v, t, embed);
        } catch (ConfigException e) {
            throw new ConfigException(configJson + ": " + e.getMessage());
        }
    }

    /**
     * Reads BLIP's original {@code med_config.json}; the ViT comes from the caller (a preset and an image size), and
     * the text encoder width is set to the ViT width as BLIP's {@code create_vit} callers do.
     */
    public static BlipConfig readOriginal(Path medConfigJson, VisionConfig vision, int embedDim) throws IOException {
        JsonNode root = readJson(medConfigJson);
        try {
            TextConfig t = TextConfig.fromMed(root).withEncoderWidth(vision.hiddenSize());
            return new BlipConfig(vision, t, embedDim);
        } catch (ConfigException e) {
            throw new ConfigException(medConfigJson + ": " + e.getMessage());
        }
    }

    /**
     * Writes an HF-style {@code config.json} that {@link #readHf} reads back (BlipConfig with text_config and
     * vision_config); {@code architecture} names the HF class, e.g. BlipForConditionalGeneration.
     */
    public void writeHf(Path file, String architecture, int bosId, int sepId) throws IOException {
        ObjectMapper m = new ObjectMapper();
        var root = m.createObjectNode();
        root.putArray("architectures").add(architecture);
        root.put("model_type", "blip");
        root.put("image_text_hidden_size", embedDim);
        root.put("projection_dim", embedDim);
        var t = root.putObject("text_config");
        t.put("model_type", "blip_text_model");
        t.put("vocab_size", text.vocabSize());
        t.put("hidden_size", text.hiddenSize());
        t.put("encoder_hidden_size", vision.hiddenSize());
        t.put("intermediate_size", text.intermediateSize());
        t.put("num_hidden_layers", text.numLayers());
        t.put("num_attention_heads", text.numHeads());
        t.put("max_position_embeddings", text.maxPositions());
        t.put("hidden_act", text.hiddenAct().configName());
        t.put("layer_norm_eps", text.layerNormEps());
        t.put("pad_token_id", text.padTokenId());
        t.put("hidden_dropout_prob", text.hiddenDropout());
        t.put("attention_probs_dropout_prob", text.attentionDropout());
        t.put("bos_token_id", bosId);
        t.put("sep_token_id", sepId);
        t.put("eos_token_id", sepId);
        var v = root.putObject("vision_config");
        v.put("model_type", "blip_vision_model");
        v.put("image_size", vision.imageSize());
        v.put("patch_size", vision.patchSize());
        v.put("hidden_size", vision.hiddenSize());
        v.put("intermediate_size", vision.intermediateSize());
        v.put("num_hidden_layers", vision.numLayers());
        v.put("num_attention_heads", vision.numHeads());
        v.put("hidden_act", vision.hiddenAct().configName());
        v.put("layer_norm_eps", vision.layerNormEps());
        switch (vision.placeAtOutput()) { // blip4j's own key (not in HF's BlipVisionConfig); absent means false
            case NONE -> {}
            case ADD -> v.put("pos_embed_at_output", true);
            case NORMALIZED -> v.put("pos_embed_at_output", "normalized");
            case SINCOS -> v.put("pos_embed_at_output", "sincos");
        }
        java.nio.file.Files.createDirectories(file.toAbsolutePath().getParent());
        m.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
    }

    static JsonNode readJson(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new java.io.FileNotFoundException(file + ": config file not found");
        }
        try {
            JsonNode n = new ObjectMapper().readTree(file.toFile());
            if (n == null || !n.isObject()) {
                throw new ConfigException(file + ": not a JSON object");
            }
            return n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ConfigException(file + ": invalid JSON: " + e.getOriginalMessage());
        }
    }
}

package org.blip4j.config;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * MED (BERT) text transformer sizes, mirrors BLIP's {@code med_config.json} and HF {@code BlipTextConfig}.
 *
 * @param encoderWidth width of the states cross-attention reads (the ViT width, or the text width for VQA's decoder)
 * @param hiddenDropout dropout after embeddings and each sub-layer's dense (training only; 0.1 in BLIP's med_config)
 * @param attentionDropout dropout on attention probabilities (training only)
 */
public record TextConfig(
        int vocabSize,
        int hiddenSize,
        int numLayers,
        int numHeads,
        int intermediateSize,
        int maxPositions,
        double layerNormEps,
        int encoderWidth,
        boolean addCrossAttention,
        int padTokenId,
        double hiddenDropout,
        double attentionDropout) {

    /** Without dropout (inference). */
    public TextConfig(
            int vocabSize,
            int hiddenSize,
            int numLayers,
            int numHeads,
            int intermediateSize,
            int maxPositions,
            double layerNormEps,
            int encoderWidth,
            boolean addCrossAttention,
            int padTokenId) {
        this(
                vocabSize,
                hiddenSize,
                numLayers,
                numHeads,
                intermediateSize,
                maxPositions,
                layerNormEps,
                encoderWidth,
                addCrossAttention,
                padTokenId,
                0.0,
                0.0);
    }

    public TextConfig {
        ConfigException.require(vocabSize > 0, "text vocab_size must be positive");
        ConfigException.require(
                hiddenSize > 0 && numHeads > 0 && hiddenSize % numHeads == 0,
                "text hidden_size " + hiddenSize + " is not divisible by num_attention_heads " + numHeads);
        ConfigException.require(
                numLayers > 0 && intermediateSize > 0 && maxPositions > 0,
                "text layers, intermediate size and max positions must be positive");
        ConfigException.require(encoderWidth > 0, "text encoder width must be positive");
        ConfigException.require(layerNormEps > 0, "text layer_norm_eps must be positive");
        ConfigException.require(
                hiddenDropout >= 0 && hiddenDropout < 1 && attentionDropout >= 0 && attentionDropout < 1,
                "text dropout probabilities must be in [0, 1)");
    }

    public int headDim() {
        return hiddenSize / numHeads;
    }

    /** The same text config reading states of another width through cross-attention. */
    public TextConfig withEncoderWidth(int width) {
        return new TextConfig(
                vocabSize,
                hiddenSize,
                numLayers,
                numHeads,
                intermediateSize,
                maxPositions,
                layerNormEps,
                width,
                addCrossAttention,
                padTokenId,
                hiddenDropout,
                attentionDropout);
    }

    /** Parses BLIP's original {@code med_config.json} (BertConfig). */
    public static TextConfig fromMed(JsonNode n) {
        int hidden = ConfigException.intField(n, "hidden_size", 768);
        return new TextConfig(
                ConfigException.intField(n, "vocab_size", 30524),
                hidden,
                ConfigException.intField(n, "num_hidden_layers", 12),
                ConfigException.intField(n, "num_attention_heads", 12),
                ConfigException.intField(n, "intermediate_size", 3072),
                ConfigException.intField(n, "max_position_embeddings", 512),
                n.path("layer_norm_eps").asDouble(1e-12),
                ConfigException.intField(n, "encoder_width", hidden),
                n.path("add_cross_attention").asBoolean(true),
                n.path("pad_token_id").asInt(0),
                n.path("hidden_dropout_prob").asDouble(0.1),
                n.path("attention_probs_dropout_prob").asDouble(0.1));
    }

    /** Parses HF {@code text_config}. */
    public static TextConfig fromHf(JsonNode n) {
        int hidden = ConfigException.intField(n, "hidden_size", 768);
        return new TextConfig(
                ConfigException.intField(n, "vocab_size", 30524),
                hidden,
                ConfigException.intField(n, "num_hidden_layers", 12),
                ConfigException.intField(n, "num_attention_heads", 8),
                ConfigException.intField(n, "intermediate_size", 3072),
                ConfigException.intField(n, "max_position_embeddings", 512),
                n.path("layer_norm_eps").asDouble(1e-12),
                ConfigException.intField(n, "encoder_hidden_size", 768),
                true,
                n.path("pad_token_id").asInt(0),
                n.path("hidden_dropout_prob").asDouble(0.0),
                n.path("attention_probs_dropout_prob").asDouble(0.0));
    }

    /** BERT-base MED as in BLIP's {@code configs/med_config.json}. */
    public static TextConfig base(int encoderWidth) {
        return new TextConfig(30524, 768, 12, 12, 3072, 512, 1e-12, encoderWidth, true, 0, 0.1, 0.1);
    }
}

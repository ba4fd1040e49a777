package org.blip4j.config;

import com.fasterxml.jackson.databind.JsonNode;
import org.blip4j.nn.Activation;

/**
 * ViT encoder sizes, mirrors {@code models/vit.py VisionTransformer} arguments and HF {@code BlipVisionConfig}.
 *
 * @param layerNormEps 1e-6 in the original BLIP code; HF's class default is 1e-5, so it always comes from the config
 * @param dropPathRate stochastic depth while training, rising linearly to this rate over the blocks (BLIP: 0.1 for
 *     VQA and NLVR2, else 0)
 * @param hiddenAct the MLP activation ({@code hidden_act}; BLIP's vit.py: exact GELU)
 * @param placeAtOutput not BLIP's ({@link PlaceAtOutput#NONE} for every released checkpoint): whether the position
 *     embedding is added once more to the ViT's output tokens ({@code pos_embed_at_output}), so that cross-attention
 *     can pick image tokens by place (the shapes world's "left of", docs/shapes.md); no new weights
 */
public record VisionConfig(
        int imageSize,
        int patchSize,
        int hiddenSize,
        int numLayers,
        int numHeads,
        int intermediateSize,
        double layerNormEps,
        double dropPathRate,
        Activation hiddenAct,
        PlaceAtOutput placeAtOutput) {

    /** How the ViT's output tokens carry their place (config and recipe key {@code pos_embed_at_output}). */
    public enum PlaceAtOutput {
        /** BLIP's ViT: the position embedding enters at the input only ({@code false}, or no key). */
        NONE,
        /** The position embedding is added to the output tokens as it is ({@code true}). */
        ADD,
        /**
         * The position embedding, layer-normalised per token without scale or shift, is added to the output tokens
         * ({@code "normalized"}): a signal as strong as the normalised content, where a trained embedding is often
         * a tenth of it.
         */
        NORMALIZED,
        /**
         * Fixed two-dimensional sine–cosine features of each patch's row and column ({@code "sincos"}, {@link
         * #sincos}) are added to the output tokens, at unit RMS like {@link #NORMALIZED}; the class token gets none.
         * A shift in place is a rotation of these features, a linear map, so a text token that has read one object's
         * place can form the query for "left of it" (the learned embedding has no such structure).
         */
        SINCOS;

        /**
         * The {@link #SINCOS} features, (1 + g²) × d row-major for a g × g patch grid and width d (a multiple of 4):
         * the class token zero; patch (r, c) has, for k = 0 … d/4 − 1 and ω_k = π · (2g)^(−k / max(1, d/4 − 1)),
         * √2·sin(ω_k c) at k, √2·cos(ω_k c) at d/4 + k, √2·sin(ω_k r) at d/2 + k and √2·cos(ω_k r) at 3d/4 + k —
         * wavelengths from two patches to four grid widths, each token at unit RMS.
         */
        public static float[] sincos(int grid, int width) {
            if (grid < 1 || width < 4 || width % 4 != 0) {
                throw new ConfigException(
                        "pos_embed_at_output: sincos needs a hidden size divisible by 4, got " + width);
            }
            int q = width / 4;
            float[] out = new float[(1 + grid * grid) * width];
            double amp = Math.sqrt(2.0);
            for (int r = 0; r < grid; r++) {
                for (int c = 0; c < grid; c++) {
                    int base = (1 + r * grid + c) * width;
                    for (int k = 0; k < q; k++) {
                        double w = Math.PI * Math.pow(2.0 * grid, -(double) k / Math.max(1, q - 1));
                        out[base + k] = (float) (amp * Math.sin(w * c));
                        out[base + q + k] = (float) (amp * Math.cos(w * c));
                        out[base + 2 * q + k] = (float) (amp * Math.sin(w * r));
                        out[base + 3 * q + k] = (float) (amp * Math.cos(w * r));
                    }
                }
            }
            return out;
        }

        /**
         * Parses a config value ({@code false}, {@code true}, {@code "normalized"}, {@code "sincos"} or none),
         * naming {@code where}.
         */
        public static PlaceAtOutput parse(JsonNode v, String where) {
            return v == null || v.isMissingNode() || v.isNull() ? NONE : parse(v.asText(), where);
        }

        /** Parses {@code false}, {@code true}, {@code normalized} or {@code sincos}; errors name {@code where}. */
        public static PlaceAtOutput parse(String v, String where) {
            return switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "false" -> NONE;
                case "true" -> ADD;
                case "normalized" -> NORMALIZED;
                case "sincos" -> SINCOS;
                default ->
                    throw new ConfigException(
                            where + ": pos_embed_at_output must be false, true, normalized or sincos, got '" + v + "'");
            };
        }
    }

    /** BLIP's ViT without stochastic depth: GELU, the position embedding at the input only. */
    public VisionConfig(
            int imageSize,
            int patchSize,
            int hiddenSize,
            int numLayers,
            int numHeads,
            int intermediateSize,
            double layerNormEps) {
        this(
                imageSize,
                patchSize,
                hiddenSize,
                numLayers,
                numHeads,
                intermediateSize,
                layerNormEps,
                0.0,
                Activation.GELU,
                PlaceAtOutput.NONE);
    }

    public VisionConfig {
        ConfigException.require(imageSize > 0 && patchSize > 0, "vision image_size and patch_size must be positive");
        ConfigException.require(
                imageSize % patchSize == 0,
                "vision image_size " + imageSize + " is not a multiple of patch_size " + patchSize);
        ConfigException.require(
                hiddenSize > 0 && numHeads > 0 && hiddenSize % numHeads == 0,
                "vision hidden_size " + hiddenSize + " is not divisible by num_attention_heads " + numHeads);
        ConfigException.require(
                numLayers > 0 && intermediateSize > 0, "vision layers and intermediate size must be positive");
        ConfigException.require(layerNormEps > 0, "vision layer_norm_eps must be positive");
        ConfigException.require(dropPathRate >= 0 && dropPathRate < 1, "vision drop_path_rate must be in [0, 1)");
        ConfigException.require(hiddenAct != null, "vision hidden_act must be set");
        ConfigException.require(placeAtOutput != null, "vision pos_embed_at_output must be set");
    }

    /** The same ViT with stochastic depth (training only). */
    public VisionConfig withDropPath(double rate) {
        return new VisionConfig(
                imageSize,
                patchSize,
                hiddenSize,
                numLayers,
                numHeads,
                intermediateSize,
                layerNormEps,
                rate,
                hiddenAct,
                placeAtOutput);
    }

    /** The same ViT with its output tokens carrying their place this way (pos_embed_at_output). */
    public VisionConfig withPlaceAtOutput(PlaceAtOutput place) {
        return new VisionConfig(
                imageSize,
                patchSize,
                hiddenSize,
                numLayers,
                numHeads,
                intermediateSize,
                layerNormEps,
                dropPathRate,
                hiddenAct,
                place);
    }

    /** Patches per side. */
    public int gridSize() {
        return imageSize / patchSize;
    }

    /** Tokens including [CLS]. */
    public int numTokens() {
        return gridSize() * gridSize() + 1;
    }

    public int headDim() {
        return hiddenSize / numHeads;
    }

    /** ViT-B/16 as BLIP builds it ({@code vit='base'}). */
    public static VisionConfig base(int imageSize) {
        return new VisionConfig(imageSize, 16, 768, 12, 12, 3072, 1e-6);
    }

    /** ViT-L/16 as BLIP builds it ({@code vit='large'}). */
    public static VisionConfig large(int imageSize) {
        return new VisionConfig(imageSize, 16, 1024, 24, 16, 4096, 1e-6);
    }

    /** Same sizes at another input resolution. */
    public VisionConfig withImageSize(int size) {
        return new VisionConfig(
                size,
                patchSize,
                hiddenSize,
                numLayers,
                numHeads,
                intermediateSize,
                layerNormEps,
                dropPathRate,
                hiddenAct,
                placeAtOutput);
    }

    /** Parses HF {@code vision_config}. */
    public static VisionConfig fromHf(JsonNode n) {
        return new VisionConfig(
                ConfigException.intField(n, "image_size", 384),
                ConfigException.intField(n, "patch_size", 16),
                ConfigException.intField(n, "hidden_size", 768),
                ConfigException.intField(n, "num_hidden_layers", 12),
                ConfigException.intField(n, "num_attention_heads", 12),
                ConfigException.intField(n, "intermediate_size", 3072),
                n.path("layer_norm_eps").asDouble(1e-5),
                0.0,
                ConfigException.activation(n, "vision"),
                PlaceAtOutput.parse(n.get("pos_embed_at_output"), "vision_config"));
    }
}

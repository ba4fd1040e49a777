package org.blip4j.weights;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one table between Hugging Face BLIP weight names and the original Salesforce names (our canonical names);
 * mirrors {@code convert_blip_original_pytorch_to_hf.py rename_key}. Text and head names are the same in both.
 */
public final class HfKeys {
    private HfKeys() {}

    /** (Hugging Face name, original name); {@code #} stands for a block index. */
    private static final List<String[]> TABLE = List.of(
            new String[] {"vision_model.embeddings.class_embedding", "visual_encoder.cls_token"},
            new String[] {"vision_model.embeddings.position_embedding", "visual_encoder.pos_embed"},
            new String[] {"vision_model.embeddings.patch_embedding.", "visual_encoder.patch_embed.proj."},
            new String[] {"vision_model.post_layernorm.", "visual_encoder.norm."},
            new String[] {"vision_model.encoder.layers.#.layer_norm1.", "visual_encoder.blocks.#.norm1."},
            new String[] {"vision_model.encoder.layers.#.layer_norm2.", "visual_encoder.blocks.#.norm2."},
            new String[] {"vision_model.encoder.layers.#.self_attn.qkv.", "visual_encoder.blocks.#.attn.qkv."},
            new String[] {"vision_model.encoder.layers.#.self_attn.projection.", "visual_encoder.blocks.#.attn.proj."},
            new String[] {"vision_model.encoder.layers.#.mlp.", "visual_encoder.blocks.#.mlp."});

    private static final List<Pattern[]> PATTERNS =
            TABLE.stream().map(r -> new Pattern[] {prefix(r[0]), prefix(r[1])}).toList();

    private static Pattern prefix(String template) {
        return Pattern.compile("^" + Pattern.quote(template).replace("#", "\\E(\\d+)\\Q") + "(.*)$");
    }

    /** True when a state dict uses Hugging Face names (its vision tower is {@code vision_model}). */
    public static boolean isHfName(String key) {
        return key.startsWith("vision_model.");
    }

    /** Hugging Face name → original name (names without a rule are returned unchanged). */
    public static String toOriginal(String hfKey) {
        return translate(hfKey, 0, 1);
    }

    /** Original name → Hugging Face name. */
    public static String toHf(String originalKey) {
        return translate(originalKey, 1, 0);
    }

    private static String translate(String key, int from, int to) {
        for (int i = 0; i < TABLE.size(); i++) {
            Matcher m = PATTERNS.get(i)[from].matcher(key);
            if (m.matches()) {
                String target = TABLE.get(i)[to];
                if (target.contains("#")) {
                    return target.replace("#", m.group(1)) + m.group(2);
                }
                return target + m.group(1);
            }
        }
        return key;
    }
}

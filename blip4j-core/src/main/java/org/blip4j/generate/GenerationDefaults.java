package org.blip4j.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model's own caption settings, from the {@code generation_config.json} beside its weights (Hugging Face's file and
 * key names: {@code num_beams}, {@code max_length}, {@code min_length}, {@code no_repeat_ngram_size}; other keys are
 * ignored). A setting the file
 * does not give falls back to the caller's default, so a model without the file decodes as before.
 *
 * <p>Why a model needs it: BLIP's evaluation lengths (max 20, min 5 tokens in {@code caption_coco.yaml}) fit COCO's
 * captions; a model trained on longer captions is cut off mid-sentence by them. Training writes the recipe's
 * {@code max_length} / {@code min_length} / {@code num_beams} here, and {@code blip4j caption}, {@code eval}, the demo
 * and the server use them unless told otherwise.
 *
 * @param numBeams beam width, or null
 * @param maxLength total length limit (prompt included), or null
 * @param minLength total minimum length (prompt included), or null
 * @param noRepeatNgramSize n-grams of this size are not repeated ({@link GenerationConfig#noRepeatNgramSize()}), or
 *     null (off)
 */
public record GenerationDefaults(Integer numBeams, Integer maxLength, Integer minLength, Integer noRepeatNgramSize) {
    /** The file's name in a model folder. */
    public static final String FILE = "generation_config.json";

    /** No settings: every caller default applies. */
    public static final GenerationDefaults NONE = new GenerationDefaults(null, null, null, null);

    /** Beam width and lengths, no n-gram ban. */
    public GenerationDefaults(Integer numBeams, Integer maxLength, Integer minLength) {
        this(numBeams, maxLength, minLength, null);
    }

    public GenerationDefaults {
        if (numBeams != null && numBeams < 1) {
            throw new IllegalArgumentException("num_beams must be at least 1, got " + numBeams);
        }
        if (maxLength != null && maxLength < 1) {
            throw new IllegalArgumentException("max_length must be at least 1, got " + maxLength);
        }
        if (minLength != null && minLength < 0) {
            throw new IllegalArgumentException("min_length must be at least 0, got " + minLength);
        }
        if (noRepeatNgramSize != null && noRepeatNgramSize < 0) {
            throw new IllegalArgumentException("no_repeat_ngram_size must be at least 0, got " + noRepeatNgramSize);
        }
        if (maxLength != null && minLength != null && minLength > maxLength) {
            throw new IllegalArgumentException("min_length " + minLength + " is larger than max_length " + maxLength);
        }
    }

    /** Reads a {@code generation_config.json}; a missing file (or null) gives {@link #NONE}. */
    public static GenerationDefaults read(Path file) throws IOException {
        if (file == null || !Files.isRegularFile(file)) {
            return NONE;
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON ("
                    + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        if (root == null || !root.isObject()) {
            throw new IOException(file + ": expected a JSON object of generation settings");
        }
        try {
            return new GenerationDefaults(
                    integer(root, "num_beams"),
                    integer(root, "max_length"),
                    integer(root, "min_length"),
                    integer(root, "no_repeat_ngram_size"));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage());
        }
    }

    private static Integer integer(JsonNode root, String key) {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IllegalArgumentException(key + " must be an integer, got " + v);
        }
        return v.intValue();
    }

    /** Writes the settings that are set as a {@code generation_config.json}. */
    public void write(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode o = json.createObjectNode();
        if (numBeams != null) {
            o.put("num_beams", numBeams);
        }
        if (maxLength != null) {
            o.put("max_length", maxLength);
        }
        if (minLength != null) {
            o.put("min_length", minLength);
        }
        if (noRepeatNgramSize != null) {
            o.put("no_repeat_ngram_size", noRepeatNgramSize);
        }
        Files.writeString(file, json.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n");
    }

    /** Whether no setting is given. */
    public boolean isEmpty() {
        return numBeams == null && maxLength == null && minLength == null && noRepeatNgramSize == null;
    }

    /** The model's beam width, else {@code fallback}. */
    public int numBeams(int fallback) {
        return numBeams != null ? numBeams : fallback;
    }

    /** The model's maximum length, else {@code fallback}. */
    public int maxLength(int fallback) {
        return maxLength != null ? maxLength : fallback;
    }

    /** The model's n-gram ban ({@code no_repeat_ngram_size}), else 0 (off). */
    public int noRepeatNgramSize(int fallback) {
        return noRepeatNgramSize != null ? noRepeatNgramSize : fallback;
    }

    /** The model's minimum length, else {@code fallback}. */
    public int minLength(int fallback) {
        return minLength != null ? minLength : fallback;
    }

    /**
     * Beam search with each setting the caller gives (non-null), else the model's, else the fallback: the rule every
     * command line option of a caption length follows. A fallback minimum above the maximum used is lowered to it. The
     * model's n-gram ban, if it has one, applies.
     */
    public GenerationConfig beam(
            Integer beams, Integer max, Integer min, int fallbackBeams, int fallbackMax, int fallbackMin) {
        int m = max != null ? max : maxLength(fallbackMax);
        int n = min != null ? min : Math.min(minLength(fallbackMin), m);
        return GenerationConfig.beam(beams != null ? beams : numBeams(fallbackBeams), m, n)
                .withNoRepeatNgramSize(noRepeatNgramSize != null ? noRepeatNgramSize : 0);
    }
}

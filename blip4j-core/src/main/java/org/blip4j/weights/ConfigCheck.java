package org.blip4j.weights;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.blip4j.config.BlipConfig;
import org.blip4j.config.ConfigException;
import org.blip4j.config.TextConfig;
import org.blip4j.config.VisionConfig;
import org.blip4j.io.RawTensor;
import org.blip4j.text.BertTokenizer;

/**
 * Checks a config against the checkpoint it is about to be built for, before any tensor is allocated: layer counts
 * against the highest layer index present, widths, intermediate sizes, vocabulary, positions, patch size and
 * projection width against tensor shapes, plus ceilings for the sizes no tensor pins down (image size, and every
 * size of a part the checkpoint lacks). A config that lies — 10⁹ layers, a width the weights do not have — fails in
 * one message naming the config file, instead of allocating what it claims. The strict load that follows still
 * checks every tensor name and shape; this check only bounds the work before it.
 */
public final class ConfigCheck {
    /** Ceilings for sizes no checkpoint tensor pins down: far above every released BLIP (ViT-L: 24 layers, 1024 wide). */
    public static final int MAX_LAYERS = 256;

    public static final int MAX_WIDTH = 1 << 14;
    public static final int MAX_VOCAB = 1 << 22;
    public static final int MAX_POSITIONS = 1 << 16;
    /** Patches per image (BLIP at 384 px: 576; 480 px: 900); 128 × 128 = 2048 px at patch 16. */
    public static final int MAX_PATCHES = 128 * 128;

    private static final Pattern VIT_BLOCK = Pattern.compile("visual_encoder\\.blocks\\.(\\d+)\\..*");

    private ConfigCheck() {}

    /**
     * Fails when {@code c} does not fit the checkpoint {@code sd} (canonical names) or exceeds the ceilings.
     *
     * @param configFile the file the config was read from, named by the message
     * @param weights the checkpoint file, named by the message
     * @throws ConfigException listing every problem found
     */
    public static void check(BlipConfig c, Map<String, RawTensor> sd, Path configFile, Path weights) {
        List<String> problems = new ArrayList<>();
        vision(c.vision(), sd, problems);
        for (String prefix : List.of("text_encoder.", "text_decoder.bert.")) {
            text(c.text(), sd, prefix, problems);
        }
        boolean anyText =
                sd.keySet().stream().anyMatch(k -> k.startsWith("text_encoder.") || k.startsWith("text_decoder."));
        if (!anyText) {
            problems.add(
                    "the checkpoint has no text_encoder.* or text_decoder.* tensors to check the text config against");
        }
        limits(c, problems);
        RawTensor vp = sd.get("vision_proj.weight");
        if (vp != null && vp.shape().length == 2 && vp.shape()[0] != c.embedDim()) {
            problems.add("embed_dim (image_text_hidden_size) is " + c.embedDim() + " but vision_proj.weight has "
                    + vp.shape()[0] + " rows");
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(configFile + ": does not fit " + weights + ": " + String.join("; ", problems));
        }
    }

    /**
     * Fails when the tokenizer can produce ids the text embeddings have no row for.
     *
     * @param rows the text embedding rows (the checkpoint's, else the config's vocab_size)
     * @param rowsSource what holds those rows, named by the message
     */
    public static void tokenizer(BertTokenizer tok, long rows, String rowsSource) {
        if (tok.vocabSize() > rows) {
            throw new ConfigException(tok.source() + ": the tokenizer has " + tok.vocabSize() + " ids (vocabulary plus "
                    + "added tokens such as [DEC], [ENC]) but " + rowsSource + " has " + rows
                    + " text embedding rows: ids "
                    + rows + ".." + (tok.vocabSize() - 1)
                    + " have no embedding; use the tokenizer the model was trained with");
        }
    }

    /** The text embedding rows of a checkpoint (canonical names), or -1 when it holds no text embeddings. */
    public static long embeddingRows(Map<String, RawTensor> sd) {
        for (String k : List.of(
                "text_decoder.bert.embeddings.word_embeddings.weight",
                "text_encoder.embeddings.word_embeddings.weight")) {
            RawTensor t = sd.get(k);
            if (t != null && t.shape().length == 2) {
                return t.shape()[0];
            }
        }
        return -1;
    }

    /** Only the ceilings (for a model built from scratch, with no checkpoint to compare with). */
    public static void limits(BlipConfig c, Path configFile) {
        List<String> problems = new ArrayList<>();
        limits(c, problems);
        if (!problems.isEmpty()) {
            throw new ConfigException(configFile + ": " + String.join("; ", problems));
        }
    }

    private static void limits(BlipConfig c, List<String> problems) {
        VisionConfig v = c.vision();
        TextConfig t = c.text();
        ceiling(problems, "vision num_hidden_layers", v.numLayers(), MAX_LAYERS);
        ceiling(problems, "vision hidden_size", v.hiddenSize(), MAX_WIDTH);
        ceiling(problems, "vision intermediate_size", v.intermediateSize(), 8 * MAX_WIDTH);
        ceiling(problems, "vision patch_size", v.patchSize(), 1024);
        long patches = (long) v.gridSize() * v.gridSize();
        if (patches > MAX_PATCHES) {
            problems.add("image size " + v.imageSize() + " at patch size " + v.patchSize() + " makes " + patches
                    + " patches per image, more than " + MAX_PATCHES);
        }
        ceiling(problems, "text num_hidden_layers", t.numLayers(), MAX_LAYERS);
        ceiling(problems, "text hidden_size", t.hiddenSize(), MAX_WIDTH);
        ceiling(problems, "text intermediate_size", t.intermediateSize(), 8 * MAX_WIDTH);
        ceiling(problems, "text vocab_size", t.vocabSize(), MAX_VOCAB);
        ceiling(problems, "text max_position_embeddings", t.maxPositions(), MAX_POSITIONS);
        ceiling(problems, "embed_dim", c.embedDim(), MAX_WIDTH);
    }

    private static void ceiling(List<String> problems, String what, long value, long max) {
        if (value > max) {
            problems.add(what + " is " + value + ", more than blip4j accepts (" + max + ")");
        }
    }

    private static void vision(VisionConfig v, Map<String, RawTensor> sd, List<String> problems) {
        if (sd.keySet().stream().noneMatch(k -> k.startsWith("visual_encoder."))) {
            problems.add("the checkpoint has no visual_encoder.* tensors (every BLIP model has an image encoder)");
            return;
        }
        layers("vision num_hidden_layers", v.numLayers(), indices(sd, VIT_BLOCK), "visual_encoder.blocks.N", problems);
        RawTensor pos = sd.get("visual_encoder.pos_embed");
        if (pos != null && pos.shape().length == 3) {
            dim(problems, "vision hidden_size", v.hiddenSize(), "visual_encoder.pos_embed", pos, 2);
        }
        RawTensor patch = sd.get("visual_encoder.patch_embed.proj.weight");
        if (patch != null && patch.shape().length == 4) {
            dim(problems, "vision hidden_size", v.hiddenSize(), "visual_encoder.patch_embed.proj.weight", patch, 0);
            dim(problems, "vision patch_size", v.patchSize(), "visual_encoder.patch_embed.proj.weight", patch, 2);
        }
        RawTensor fc1 = sd.get("visual_encoder.blocks.0.mlp.fc1.weight");
        if (fc1 != null && fc1.shape().length == 2) {
            dim(
                    problems,
                    "vision intermediate_size",
                    v.intermediateSize(),
                    "visual_encoder.blocks.0.mlp.fc1.weight",
                    fc1,
                    0);
        }
    }

    private static void text(TextConfig t, Map<String, RawTensor> sd, String prefix, List<String> problems) {
        if (sd.keySet().stream().noneMatch(k -> k.startsWith(prefix))) {
            return;
        }
        Pattern layer = Pattern.compile(Pattern.quote(prefix) + "encoder\\.layer\\.(\\d+)\\..*");
        layers("text num_hidden_layers", t.numLayers(), indices(sd, layer), prefix + "encoder.layer.N", problems);
        RawTensor words = sd.get(prefix + "embeddings.word_embeddings.weight");
        if (words != null && words.shape().length == 2) {
            dim(problems, "text vocab_size", t.vocabSize(), prefix + "embeddings.word_embeddings.weight", words, 0);
            dim(problems, "text hidden_size", t.hiddenSize(), prefix + "embeddings.word_embeddings.weight", words, 1);
        }
        RawTensor pos = sd.get(prefix + "embeddings.position_embeddings.weight");
        if (pos != null && pos.shape().length == 2) {
            dim(
                    problems,
                    "text max_position_embeddings",
                    t.maxPositions(),
                    prefix + "embeddings.position_embeddings.weight",
                    pos,
                    0);
        }
        RawTensor inter = sd.get(prefix + "encoder.layer.0.intermediate.dense.weight");
        if (inter != null && inter.shape().length == 2) {
            dim(
                    problems,
                    "text intermediate_size",
                    t.intermediateSize(),
                    prefix + "encoder.layer.0.intermediate.dense.weight",
                    inter,
                    0);
        }
    }

    private static TreeSet<Integer> indices(Map<String, RawTensor> sd, Pattern p) {
        TreeSet<Integer> out = new TreeSet<>();
        for (String k : sd.keySet()) {
            Matcher m = p.matcher(k);
            if (m.matches() && m.group(1).length() < 7) {
                out.add(Integer.parseInt(m.group(1)));
            }
        }
        return out;
    }

    private static void layers(
            String what, int claimed, TreeSet<Integer> present, String names, List<String> problems) {
        if (present.isEmpty()) {
            return;
        }
        int count = present.last() + 1;
        if (present.size() != count) {
            problems.add("the checkpoint's " + names + " tensors skip indices (" + present.size()
                    + " layers numbered up to " + present.last() + ")");
        } else if (claimed != count) {
            problems.add(what + " is " + claimed + " but the checkpoint has " + count + " (" + names + ", N = 0.."
                    + present.last() + ")");
        }
    }

    private static void dim(List<String> problems, String what, long claimed, String name, RawTensor t, int axis) {
        long[] s = t.shape();
        if (s[axis] != claimed) {
            problems.add(what + " is " + claimed + " but the checkpoint's " + name + " " + Arrays.toString(s) + " says "
                    + s[axis]);
        }
    }
}

package org.blip4j;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.blip4j.config.BlipConfig;
import org.blip4j.config.VisionConfig;
import org.blip4j.generate.GenerationDefaults;
import org.blip4j.image.ImageLoader;
import org.blip4j.image.ImageProcessor;
import org.blip4j.io.RawTensor;
import org.blip4j.model.BlipDecoder;
import org.blip4j.model.BlipItm;
import org.blip4j.model.BlipNlvr;
import org.blip4j.model.BlipVqa;
import org.blip4j.nn.Block;
import org.blip4j.text.BertTokenizer;
import org.blip4j.weights.Checkpoints;
import org.blip4j.weights.ConfigCheck;
import org.blip4j.weights.LoadPolicy;
import org.blip4j.weights.WeightLoader;

/**
 * Builds networks from model files: infers the task and the config, checks both against the checkpoint before
 * anything is allocated, and loads each network under its load policy. {@link Blip} is the facade over the result;
 * training ({@code TrainRunner}) uses the same config inference, checks and NLVR2 rule.
 */
public final class BlipLoader {
    private BlipLoader() {}

    /** Loads a model folder or weight file (see {@link ModelFiles} for the layouts accepted). */
    static Blip load(Path path, Blip.Options options) throws IOException {
        ModelFiles files = ModelFiles.resolve(path);
        Map<String, RawTensor> sd = WeightLoader.canonical(Checkpoints.read(files.weights()));
        Task stored;
        try {
            stored = Task.infer(sd.keySet());
        } catch (IllegalArgumentException e) {
            throw new IOException(files.weights() + ": " + e.getMessage());
        }
        Task task = options.task() != null ? options.task() : stored;
        BlipConfig config = config(files, sd, options);
        BertTokenizer tok = BertTokenizer.fromDirectory(files.tokenizerDir());
        check(files, sd, config, tok); // before any network is allocated
        GenerationDefaults generation = GenerationDefaults.read(files.generationConfig());
        ImageLoader loader = ImageLoader.defaults().withExifOrientation(options.applyExifOrientation());
        int size = config.vision().imageSize();
        ImageProcessor proc = null;
        if (files.preprocessorConfig() != null && options.imageSize() == null) {
            proc = ImageProcessor.fromPreprocessorConfig(files.preprocessorConfig(), loader);
        }
        if (proc == null || proc.width() != size || proc.height() != size) {
            proc = new ImageProcessor(
                    size,
                    size,
                    true,
                    org.blip4j.image.PilResize.Filter.BICUBIC,
                    true,
                    1.0 / 255,
                    true,
                    ImageProcessor.BLIP_MEAN,
                    ImageProcessor.BLIP_STD,
                    loader);
        }
        String name = files.weights().toString();
        BlipDecoder dec = null;
        BlipItm itm = null;
        BlipVqa vqa = null;
        BlipNlvr nlvr = null;
        switch (task) {
            case CAPTION -> dec = load(new BlipDecoder(config), sd, stored, task, name);
            case ITM -> itm = load(new BlipItm(config), sd, stored, task, name);
            case VQA -> vqa = load(new BlipVqa(config), sd, stored, task, name);
            case NLVR -> nlvr = loadNlvr(new BlipNlvr(config), sd, stored, false, name);
            case PRETRAIN -> {
                dec = load(new BlipDecoder(config), sd, stored, task, name);
                itm = load(new BlipItm(config), sd, stored, task, name);
            }
        }
        return new Blip(files.weights(), task, config, tok, proc, generation, dec, itm, vqa, nlvr);
    }

    /**
     * Strict load, except that training state (momentum encoders, queues, temperature) is never needed for inference,
     * and that a network built for another task than the checkpoint's keeps only its own parts (e.g. a captioner from a
     * pre-training checkpoint ignores the ITM side). A pre-training checkpoint feeds two networks, each taking its
     * part.
     */
    public static <B extends Block> B load(B model, Map<String, RawTensor> sd, Task stored, Task target, String name)
            throws IOException {
        LoadPolicy policy = LoadPolicy.strict().ignoringTrainingState().ignoring("temp");
        if (stored != target || target == Task.PRETRAIN) {
            var own = model.namedTensors().keySet().stream()
                    .map(k -> k.substring(0, k.indexOf('.')))
                    .distinct()
                    .toList();
            policy = policy.ignoring("(?!(" + String.join("|", own) + ")\\.).*");
        }
        WeightLoader.load(model, sd, policy, name);
        return model;
    }

    /**
     * Checks, before anything is allocated, that the config fits the checkpoint (layer counts, widths, vocabulary,
     * positions, patch size; ceilings on sizes no tensor pins down) and that every tokenizer id has an embedding row.
     *
     * @throws org.blip4j.config.ConfigException naming the config or tokenizer file, the checkpoint and the sizes
     */
    public static void check(ModelFiles files, Map<String, RawTensor> sd, BlipConfig config, BertTokenizer tok) {
        Path configFile = files.hfConfig() != null ? files.hfConfig() : files.medConfig();
        ConfigCheck.check(config, sd, configFile, files.weights());
        long rows = ConfigCheck.embeddingRows(sd);
        ConfigCheck.tokenizer(
                tok,
                rows >= 0 ? rows : config.text().vocabSize(),
                rows >= 0 ? files.weights().toString() : configFile + " (vocab_size)");
    }

    /** HF config.json, else med_config.json plus a ViT read off the checkpoint's shapes. */
    public static BlipConfig config(ModelFiles files, Map<String, RawTensor> sd, Blip.Options options)
            throws IOException {
        BlipConfig c;
        if (files.hfConfig() != null) {
            c = BlipConfig.readHf(files.hfConfig());
        } else {
            VisionConfig v = visionFromWeights(sd, files.weights());
            RawTensor proj = sd.get("vision_proj.weight");
            c = BlipConfig.readOriginal(files.medConfig(), v, proj == null ? 256 : (int) proj.shape()[0]);
        }
        if (options.imageSize() != null) {
            c = new BlipConfig(c.vision().withImageSize(options.imageSize()), c.text(), c.embedDim());
        }
        return c;
    }

    /** Reads ViT sizes from {@code visual_encoder.*} shapes (heads = width / 64, as ViT-B and ViT-L). */
    static VisionConfig visionFromWeights(Map<String, RawTensor> sd, Path file) throws IOException {
        RawTensor pos = sd.get("visual_encoder.pos_embed");
        RawTensor patch = sd.get("visual_encoder.patch_embed.proj.weight");
        RawTensor fc1 = sd.get("visual_encoder.blocks.0.mlp.fc1.weight");
        if (pos == null || patch == null || fc1 == null) {
            throw new IOException(file + ": no visual_encoder weights to read the ViT size from");
        }
        int width = (int) pos.shape()[2];
        int p = (int) patch.shape()[2];
        int grid = (int) Math.round(Math.sqrt(pos.shape()[1] - 1));
        int depth = (int) sd.keySet().stream()
                .filter(k -> k.matches("visual_encoder\\.blocks\\.\\d+\\.norm1\\.weight"))
                .count();
        if (width % 64 != 0) {
            throw new IOException(file + ": ViT width " + width + " is not a multiple of 64; put a config.json with "
                    + "vision_config (num_attention_heads) next to it");
        }
        return new VisionConfig(grid * p, p, width, depth, width / 64, (int) fc1.shape()[0], 1e-6);
    }

    /**
     * The NLVR2 load rule, its one home. An NLVR2 checkpoint (twin cross-attention and {@code cls_head}) loads
     * strictly. Any other checkpoint can only start fine-tuning ({@code fineTune}), as {@code
     * blip_nlvr.load_checkpoint}: its
     * encoder's cross-attention is twinned ({@link BlipNlvr#twinned}), and {@code merge_layer} and {@code cls_head}
     * keep their initial values; for inference it is refused, since an untrained head would answer p_true = 0.5 (or
     * noise) for every input.
     */
    public static BlipNlvr loadNlvr(
            BlipNlvr model, Map<String, RawTensor> sd, Task stored, boolean fineTune, String name) throws IOException {
        if (stored == Task.NLVR) {
            WeightLoader.load(model, sd, inferencePolicy(fineTune), name);
        } else if (fineTune) {
            WeightLoader.load(
                    model,
                    BlipNlvr.twinned(sd),
                    LoadPolicy.strict()
                            .ignoringTrainingState()
                            .ignoring("(?!(visual_encoder|text_encoder)\\.).*")
                            .allowingMissing("cls_head\\..*", ".*merge_layer.*"),
                    name);
        } else {
            throw new IOException(name + ": --task nlvr needs an NLVR2 checkpoint, but this is " + stored.describe()
                    + " checkpoint: it has no NLVR2 head (cls_head.*) and no twin cross-attention "
                    + "(crossattention.self0/self1, output.dense0/dense1, merge_layer). Fine-tune one with "
                    + "'blip4j train nlvr' (its pretrained: may be this checkpoint), or use a released NLVR2 "
                    + "checkpoint");
        }
        return model;
    }

    private static LoadPolicy inferencePolicy(boolean fineTune) {
        return fineTune
                ? LoadPolicy.strict().ignoringTrainingState()
                : LoadPolicy.strict().ignoringTrainingState().ignoring("temp");
    }
}

package org.blip4j.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.blip4j.Blip;
import org.blip4j.BlipLoader;
import org.blip4j.ModelFiles;
import org.blip4j.Task;
import org.blip4j.config.BlipConfig;
import org.blip4j.config.VisionConfig;
import org.blip4j.data.Batch;
import org.blip4j.data.CaptionDataset;
import org.blip4j.data.Collate;
import org.blip4j.data.DataLoader;
import org.blip4j.data.TextEncoding;
import org.blip4j.data.TrainTransform;
import org.blip4j.data.VqaDataset;
import org.blip4j.dist.Distributed;
import org.blip4j.engine.T;
import org.blip4j.generate.GenerationDefaults;
import org.blip4j.hub.ModelSource;
import org.blip4j.io.RawTensor;
import org.blip4j.io.SafeTensors;
import org.blip4j.model.BlipDecoder;
import org.blip4j.model.BlipPretrain;
import org.blip4j.model.BlipRetrieval;
import org.blip4j.model.BlipVqa;
import org.blip4j.model.vision.PatchRelationHead;
import org.blip4j.nn.Block;
import org.blip4j.shapes.PatchGrid;
import org.blip4j.shapes.ShapesStream;
import org.blip4j.shapes.StreamDatasets;
import org.blip4j.text.BertTokenizer;
import org.blip4j.weights.Checkpoints;
import org.blip4j.weights.ConfigCheck;
import org.blip4j.weights.LoadPolicy;
import org.blip4j.weights.PatchEmbed;
import org.blip4j.weights.WeightLoader;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a recipe end to end, as BLIP's {@code pretrain.py} / {@code train_caption.py} / {@code train_retrieval.py} /
 * {@code train_vqa.py}: builds the task's network from a pre-trained checkpoint (or from scratch), the data loader,
 * AdamW and the reference schedule, trains with checkpoints, and exports a model folder that inference loads.
 */
public final class TrainRunner {
    private static final Logger LOG = LoggerFactory.getLogger(TrainRunner.class);
    private static final String VIT_PREFIX = "visual_encoder."; // the ViT's parameters (vision_lr_scale)

    private TrainRunner() {}

    /** Everything a run needs besides the recipe values. */
    record Setup(
            BlipConfig config,
            BertTokenizer tokenizer,
            Map<String, RawTensor> weights,
            Task stored,
            Path tokenizerDir,
            Path visionInit) {
        Setup(BlipConfig config, BertTokenizer tokenizer, Map<String, RawTensor> weights, Task stored, Path dir) {
            this(config, tokenizer, weights, stored, dir, null);
        }
    }

    /** Trains and returns the exported model folder ({@code output_dir/model}). */
    public static Path run(Task task, Recipe r, boolean resume, boolean progress) throws IOException {
        return run(task, r, resume, progress, Distributed.single());
    }

    /**
     * Trains as one rank of a data-parallel job ({@code batch_size} is per rank, as in BLIP's configs): this rank's
     * shard of the data, gradients averaged over the ranks, BLIP's cross-rank gathers; rank 0 writes checkpoints,
     * metrics and the exported model. See docs/training.md.
     */
    public static Path run(Task task, Recipe r, boolean resume, boolean progress, Distributed dist) throws IOException {
        if (!r.ignoredKeys().isEmpty() && dist.isMain()) {
            LOG.info(
                    "{}: not used by blip4j's training (evaluation or reference-only settings): {}",
                    r.file(),
                    r.ignoredKeys());
        }
        Setup s = setup(r);
        BlipConfig c = s.config();
        long seed = r.integer("seed", 42);
        int size = c.vision().imageSize();
        Path out = r.path("output_dir");
        int workers =
                r.integer("workers", Math.max(1, Runtime.getRuntime().availableProcessors() / dist.localWorldSize()));
        BertTokenizer tok = s.tokenizer();
        Block model;
        Trainer.Objective<Batch> objective;
        DataLoader<Batch> loader;
        Trainer.LrSchedule schedule;
        double initLr = r.number("init_lr", 1e-5);
        double minLr = r.number("min_lr", 0.0);
        int epochs = r.integer("max_epoch", 1);
        int batch = r.integer("batch_size", r.integer("batch_size_train", 8));
        String architecture;
        GenerationDefaults generation = generation(r); // checked before training starts
        ShapesStream stream = stream(r, size);
        if (r.has("validate") && stream == null) {
            throw new IllegalArgumentException(
                    r.file() + ": 'validate' needs a 'train_stream' (held-out scenes of its world)");
        }
        // the feature queues start as random draws: seed them, so a run is a function of its recipe in any process
        org.bytedeco.pytorch.global.torch.manual_seed(seed);
        int streamEpoch =
                stream == null ? 0 : r.node("train_stream").path("epoch_size").asInt(10_000);
        double[] questionWeights = questionWeights(r, task);
        double referentPairs = referentPairs(r, task);
        double hardNegatives = hardNegatives(r, task);
        boolean skipTrue = skipTrueNegatives(r, task);
        boolean relations = patchRelations(r, task, stream);
        if (r.flag("patch_positions", false) && task != Task.PRETRAIN) {
            throw new IllegalArgumentException(r.file() + ": patch_positions is a key of pre-training and of the vision"
                    + " stage (blip4j train vision), not of " + task.name().toLowerCase(java.util.Locale.ROOT));
        }
        if (epochs == 0 && s.weights() == null) {
            throw new IllegalArgumentException(r.file() + ": max_epoch: 0 trains nothing, so it exports the"
                    + " 'pretrained' model as a " + task.name().toLowerCase(java.util.Locale.ROOT)
                    + " model; give 'pretrained'");
        }
        switch (task) {
            case CAPTION -> {
                BlipDecoder m = prepare(new BlipDecoder(c), s, task, seed);
                String prompt = r.string("prompt", Blip.PROMPT);
                int promptLength = tok.encode(prompt).length - 1;
                var ds = stream != null
                        ? StreamDatasets.captions(stream, streamEpoch, transform(r, size, 0.5), prompt)
                        : CaptionDataset.karpathyTrain(
                                r.path("train_file"), r.path("image_root"), transform(r, size, 0.5), prompt);
                loader = loader(ds, Collate.captions(tok, padding(r, TextEncoding.CAPTION)), batch, seed, workers);
                objective = Objectives.caption(m, tok.bosId(), promptLength);
                schedule = (e, b, n) -> Schedules.cosine(e, epochs, initLr, minLr);
                model = m;
                architecture = "BlipForConditionalGeneration";
            }
            case PRETRAIN -> {
                BlipPretrain m = prepare(
                        new BlipPretrain(c, queueSize(r), momentum(r), r.flag("patch_positions", false)),
                        s,
                        task,
                        seed);
                org.blip4j.data.Dataset<CaptionDataset.Sample> ds;
                if (stream != null) {
                    ds = StreamDatasets.captions(
                            stream, streamEpoch, transform(r, size, 0.2), "", hardNegatives, skipTrue);
                } else {
                    List<Path> files = new ArrayList<>();
                    for (var f :
                            r.node("train_file").isArray() ? r.node("train_file") : List.of(r.node("train_file"))) {
                        Path p = Path.of(f.asText());
                        files.add(
                                p.isAbsolute()
                                        ? p
                                        : r.file()
                                                .toAbsolutePath()
                                                .getParent()
                                                .resolve(p)
                                                .normalize());
                    }
                    ds = CaptionDataset.pretrain(files, r.path("image_root"), transform(r, size, 0.2));
                }
                loader = loader(ds, Collate.captions(tok, padding(r, TextEncoding.PRETRAIN)), batch, seed, workers);
                objective = Objectives.pretrain(m, r.number("alpha", 0.4), tok.encId(), tok.bosId());
                double warmLr = r.number("warmup_lr", 1e-6);
                long warmSteps = r.integer("warmup_steps", 3000);
                double decay = r.number("lr_decay_rate", 0.9);
                schedule = (e, b, n) -> e == 0
                        ? Schedules.warmup(b, warmSteps, warmLr, initLr)
                        : Schedules.step(e, initLr, minLr, decay);
                model = m;
                architecture = "BlipPretrain";
            }
            case ITM -> {
                BlipRetrieval m = prepare(new BlipRetrieval(c, queueSize(r), momentum(r)), s, task, seed);
                var ds = stream != null
                        ? StreamDatasets.captions(
                                stream, streamEpoch, transform(r, size, 0.5), "", hardNegatives, skipTrue)
                        : CaptionDataset.karpathyTrain(
                                r.path("train_file"), r.path("image_root"), transform(r, size, 0.5), "");
                loader = loader(ds, Collate.captions(tok, padding(r, TextEncoding.RETRIEVAL)), batch, seed, workers);
                objective = Objectives.retrieval(m, r.number("alpha", 0.4), tok.encId());
                schedule = (e, b, n) -> Schedules.cosine(e, epochs, initLr, minLr);
                model = m;
                architecture = "BlipForImageTextRetrieval";
            }
            case VQA -> {
                BlipVqa m = prepare(new BlipVqa(c, relations ? RELATION_CLASSES : null), s, task, seed);
                if (relations && s.weights() != null) { // a new head on loaded weights starts from BLIP's init
                    Init.blip(m.patchRelationHead(), seed, 0.02);
                }
                var ds = stream != null
                        ? StreamDatasets.vqa(
                                stream,
                                streamEpoch,
                                transform(r, size, 0.5),
                                questionWeights,
                                referentPairs,
                                relations ? size / c.vision().patchSize() : 0)
                        : VqaDataset.train(
                                List.of(r.path("train_file")),
                                r.path("image_root"),
                                r.has("vg_root") ? r.path("vg_root") : r.path("image_root"),
                                transform(r, size, 0.5));
                loader = loader(ds, Collate.vqa(tok), batch, seed, workers);
                objective = Objectives.vqa(m, tok.encId(), tok.bosId());
                schedule = (e, b, n) -> Schedules.cosine(e, epochs, initLr, minLr);
                model = m;
                architecture = "BlipForQuestionAnswering";
            }
            case NLVR -> {
                org.blip4j.model.BlipNlvr m = new org.blip4j.model.BlipNlvr(c);
                if (s.weights() == null || s.stored() != Task.NLVR) { // new twin layers and head start from the init
                    Init.blip(m, seed, 0.02);
                }
                if (s.weights() != null) {
                    BlipLoader.loadNlvr(m, s.weights(), s.stored(), true, "pre-trained weights");
                }
                org.blip4j.data.NlvrDataset ds = org.blip4j.data.NlvrDataset.read(
                        r.path("train_file"), r.path("image_root"), transform(r, size, 0.5));
                loader = loader(ds, Collate.nlvr(tok), batch, seed, workers);
                objective = Objectives.nlvr(m, tok.encId());
                schedule = (e, b, n) -> Schedules.cosine(e, epochs, initLr, minLr);
                model = m;
                architecture = "BlipNlvr";
            }
            default -> throw new IllegalArgumentException("training " + task + " is not supported");
        }
        if (epochs == 0) { // no training: the loaded weights as this task's model (the task network's export)
            loader.close();
            return exportUntrained(r, s, out, model, task, architecture, generation, stream, dist);
        }
        if (model instanceof BlipPretrain p) { // the models' own cross-rank ops (queue gathers, negative_all_rank)
            p.distributed(dist);
        } else if (model instanceof BlipRetrieval q) {
            q.distributed(dist);
            q.negativeAllRank(r.flag("negative_all_rank", false));
        }
        if (r.flag("vit_grad_ckpt", false)) { // as the reference configs: the last vit_ckpt_layer ViT blocks
            int layers = r.integer("vit_ckpt_layer", 0);
            model.blocksOf(org.blip4j.model.vision.VisionTransformer.class)
                    .forEach(v -> v.gradientCheckpointing(layers));
        }
        Map<String, org.bytedeco.pytorch.Tensor> trainable = model instanceof BlipPretrain p
                ? p.trainableParameters()
                : model instanceof BlipRetrieval q ? q.trainableParameters() : model.namedParameters();
        double vitScale = r.number("vision_lr_scale", 1.0);
        if (vitScale < 0) {
            throw new IllegalArgumentException(r.file() + ": vision_lr_scale must be >= 0, got " + vitScale);
        }
        if (vitScale == 0) { // a frozen ViT (LiT): no gradient, no update, no backward through it
            trainable = new LinkedHashMap<>(trainable);
            trainable.entrySet().removeIf(e -> {
                boolean vit = e.getKey().startsWith(VIT_PREFIX);
                if (vit) {
                    e.getValue().set_requires_grad(false);
                }
                return vit;
            });
        }
        trainable.values().forEach(t -> t.set_requires_grad(true));
        AdamW opt = AdamW.blip(trainable, initLr, r.number("weight_decay", 0.05));
        if (vitScale > 0 && vitScale != 1) {
            opt.scaleLearningRate(VIT_PREFIX, vitScale);
        }
        try (DataLoader<Batch> l = loader.sharded(dist.rank(), dist.worldSize())) {
            Trainer.EpochData<Batch> data = Trainer.EpochData.of(l);
            Trainer<Batch> trainer = new Trainer<>(
                            model,
                            trainable,
                            opt,
                            objective,
                            data,
                            schedule,
                            new Trainer.Options(
                                    out.resolve("checkpoints"),
                                    epochs,
                                    seed,
                                    r.integer("grad_accumulation", 1),
                                    r.integer("checkpoint_every", 0),
                                    r.integer("keep_checkpoints", 2),
                                    r.integer("max_steps", 0),
                                    resume,
                                    progress))
                    .distributed(dist, Math.round(r.number("bucket_cap_mb", 25) * (1 << 20)))
                    .optimizerInBackward(r.flag("optimizer_in_backward", false))
                    .bf16(r.bf16());
            if (r.has("validate") && dist.isMain()) { // validation writes files: rank 0's job
                ShapesValidator validator = validator(r, stream);
                Block trained = model;
                String arch = architecture;
                boolean half = r.flag("export_half", false);
                trainer.validateEvery(
                        r.node("validate").path("every").asLong(200),
                        step -> validator.validate(
                                export(trained, s, out.resolve("validation-model"), arch, half, generation), task));
            }
            trainer.fit();
            if (l.skipped() > 0) {
                LOG.warn("{} unreadable images were skipped (see the log above)", l.skipped());
            }
        }
        return dist.isMain()
                ? export(model, s, out.resolve("model"), architecture, r.flag("export_half", false), generation)
                : out.resolve("model");
    }

    /** The recipe's {@code validate} mapping as a validator on held-out scenes of {@code stream}'s world. */
    private static ShapesValidator validator(Recipe r, ShapesStream stream) {
        var v = r.node("validate");
        return new ShapesValidator(
                stream,
                v.path("scenes").asInt(64),
                v.path("seed").asLong(9),
                v.path("training_scenes").asBoolean(false));
    }

    /**
     * {@code max_epoch: 0} (with {@code pretrained}, checked before the network is built): no step is taken; the
     * loaded weights are exported as this task's model (only the task network's tensors, in float16 with {@code
     * export_half}), e.g. a pre-trained BLIP's ITC/ITM network as a retrieval model. With {@code validate} the export
     * is validated once, as a training run would be.
     */
    private static Path exportUntrained(
            Recipe r,
            Setup s,
            Path out,
            Block model,
            Task task,
            String architecture,
            GenerationDefaults generation,
            ShapesStream stream,
            Distributed dist)
            throws IOException {
        if (!dist.isMain()) {
            return out.resolve("model");
        }
        LOG.info("max_epoch 0: no training; exporting the pre-trained weights as a {} model", architecture);
        Path dir = export(model, s, out.resolve("model"), architecture, r.flag("export_half", false), generation);
        if (r.has("validate")) { // a stream is there: checked above
            long t0 = System.nanoTime();
            Map<String, Double> m = validator(r, stream).validate(dir, task);
            LOG.info("validation of the export ({} s): {}", Math.round((System.nanoTime() - t0) / 1e9), m);
        }
        return dir;
    }

    /**
     * The recipe's {@code train_stream} (fresh shapes-world scenes instead of {@code train_file}), or null: a mapping
     * {@code {world: shapes, seed, epoch_size, min_side, max_side, aliased, max_objects, pool, solid, styled,
     * question_weights, referent_pairs, hard_negatives, skip_true_negatives}} ({@code pool: N} repeats N fixed scenes:
     * the overfit check; {@code question_weights}: {@link #questionWeights}; {@code referent_pairs}: {@link
     * #referentPairs}; {@code hard_negatives}: {@link #hardNegatives}).
     */
    static ShapesStream stream(Recipe r, int imageSize) {
        if (!r.has("train_stream")) {
            return null;
        }
        var n = r.node("train_stream");
        String world = n.path("world").asText("shapes");
        if (!world.equals("shapes")) {
            throw new IllegalArgumentException(r.file() + ": train_stream.world must be 'shapes', got '" + world + "'");
        }
        return new ShapesStream(
                n.path("seed").asLong(0),
                n.path("min_side").asInt(imageSize),
                n.path("max_side").asInt(n.path("min_side").asInt(imageSize)),
                n.path("aliased").asDouble(0),
                n.path("max_objects").asInt(4),
                n.path("pool").asInt(0),
                n.path("solid").asDouble(0),
                n.path("styled").asDouble(0));
    }

    /**
     * The recipe's {@code train_stream.hard_negatives}: the fraction of images whose ITM text negative is a minimal
     * false caption of their scene ({@link org.blip4j.shapes.HardNegatives}), 0 without it. Only pre-training and
     * retrieval have ITM; another task refuses the key rather than ignore it.
     */
    static double hardNegatives(Recipe r, Task task) {
        if (!r.has("train_stream") || !r.node("train_stream").has("hard_negatives")) {
            return 0;
        }
        String where = r.file() + ": train_stream.hard_negatives: ";
        if (task != Task.PRETRAIN && task != Task.ITM) {
            throw new IllegalArgumentException(
                    where + "only pre-training and retrieval have ITM, this recipe trains " + task);
        }
        var v = r.node("train_stream").path("hard_negatives");
        double rate = v.isNumber() ? v.asDouble() : Double.NaN;
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException(where + "must be a number in [0, 1], got " + v);
        }
        return rate;
    }

    /**
     * The recipe's {@code train_stream.referent_pairs}: the fraction of relation questions asking for a colour that
     * come with their minimal partner, the colour of their referent, in the same batch
     * ({@link StreamDatasets#vqa(ShapesStream, int, org.blip4j.data.ImageTransform, double[], double)}); 0 without
     * it. Only VQA draws questions; another task refuses the key rather than ignore it.
     */
    static double referentPairs(Recipe r, Task task) {
        if (!r.has("train_stream") || !r.node("train_stream").has("referent_pairs")) {
            return 0;
        }
        String where = r.file() + ": train_stream.referent_pairs: ";
        if (task != Task.VQA) {
            throw new IllegalArgumentException(where + "only VQA draws questions, this recipe trains " + task);
        }
        var v = r.node("train_stream").path("referent_pairs");
        double rate = v.isNumber() ? v.asDouble() : Double.NaN;
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException(where + "must be a number in [0, 1], got " + v);
        }
        return rate;
    }

    /**
     * The recipe's {@code train_stream.skip_true_negatives}: ITM's mined negatives skip the batch's captions that the
     * world says hold for the image (in this world many scenes share most of a caption, so BLIP's similarity-weighted
     * draw can pick a true one; on the shapes retrieval fine-tune it measured no gain, docs/shapes.md). Only
     * pre-training and retrieval mine negatives; another task refuses the key, and so does {@code negative_all_rank}
     * (the other ranks' pairs are not judged).
     */
    static boolean skipTrueNegatives(Recipe r, Task task) {
        if (!r.has("train_stream") || !r.node("train_stream").has("skip_true_negatives")) {
            return false;
        }
        String where = r.file() + ": train_stream.skip_true_negatives: ";
        var v = r.node("train_stream").path("skip_true_negatives");
        if (!v.isBoolean()) {
            throw new IllegalArgumentException(where + "must be true or false, got " + v);
        }
        if (!v.asBoolean()) {
            return false;
        }
        if (task != Task.PRETRAIN && task != Task.ITM) {
            throw new IllegalArgumentException(
                    where + "only pre-training and retrieval mine ITM negatives, this recipe trains " + task);
        }
        if (r.flag("negative_all_rank", false)) {
            throw new IllegalArgumentException(
                    where + "needs negative_all_rank off (only this rank's pairs are judged)");
        }
        return true;
    }

    /** The classes of {@link PatchGrid#relationLabels}: relations, shapes and colours, "none" included. */
    static final PatchRelationHead.Classes RELATION_CLASSES =
            new PatchRelationHead.Classes(PatchGrid.RELATIONS.length, PatchGrid.NO_SHAPE + 1, PatchGrid.NO_COLOR + 1);

    /**
     * The recipe's {@code patch_relations} (default false): the VQA network's image tokens also learn what each object
     * of the scene has around it ({@link PatchRelationHead}), which needs the shapes world's {@code train_stream}.
     * Only VQA has the head; another task refuses the key rather than ignore it.
     */
    static boolean patchRelations(Recipe r, Task task, ShapesStream stream) {
        if (!r.flag("patch_relations", false)) {
            return false;
        }
        if (task != Task.VQA) {
            throw new IllegalArgumentException(r.file() + ": patch_relations is a key of VQA training and of the vision"
                    + " stage (blip4j train vision), not of "
                    + task.name().toLowerCase(java.util.Locale.ROOT));
        }
        if (stream == null) {
            throw new IllegalArgumentException(r.file()
                    + ": patch_relations needs a 'train_stream' (its scenes say what lies around each object)");
        }
        return true;
    }

    /**
     * The recipe's {@code train_stream.question_weights} ({@code {relation: 3}}: relation questions drawn three times
     * as often as each other type) as weights by {@link org.blip4j.shapes.Question.Type#ordinal()}, or null (evenly).
     * Only VQA draws questions; another task refuses the key rather than ignore it.
     */
    static double[] questionWeights(Recipe r, Task task) {
        if (!r.has("train_stream") || !r.node("train_stream").has("question_weights")) {
            return null;
        }
        String where = r.file() + ": train_stream.question_weights: ";
        if (task != Task.VQA) {
            throw new IllegalArgumentException(where + "only VQA draws questions, this recipe trains " + task);
        }
        Map<String, Double> byId = new LinkedHashMap<>();
        r.node("train_stream")
                .path("question_weights")
                .fields()
                .forEachRemaining(e -> byId.put(
                        e.getKey(),
                        e.getValue().isNumber()
                                ? e.getValue().asDouble()
                                : Double.parseDouble(e.getValue().asText())));
        try {
            return org.blip4j.shapes.Question.typeWeights(byId);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + e.getMessage(), e);
        }
    }

    /**
     * The recipe's training transform: BLIP's (random resized crop from {@code min_scale}, horizontal flip,
     * RandAugment) unless the recipe sets {@code min_scale}, {@code hflip} (flip probability) or {@code rand_augment:
     * false} — worlds
     * where left/right or position words matter (the shapes world) turn flips and crops off.
     */
    static TrainTransform transform(Recipe r, int size, double defaultMinScale) {
        return new TrainTransform(
                org.blip4j.data.RandomResizedCrop.of(size, r.number("min_scale", defaultMinScale)),
                r.number("hflip", 0.5),
                r.flag("rand_augment", true) ? org.blip4j.data.RandomAugment.blip() : null,
                org.blip4j.image.ImageProcessor.BLIP_MEAN,
                org.blip4j.image.ImageProcessor.BLIP_STD);
    }

    /**
     * The task's text encoding, padded to the longest text of the batch instead of {@code max_length} when the recipe
     * says {@code text_padding: longest}: the same losses (padding is masked) for less compute on short captions.
     */
    static TextEncoding padding(Recipe r, TextEncoding task) {
        String p = r.string("text_padding", "max_length");
        return switch (p) {
            case "max_length" -> task;
            case "longest" -> new TextEncoding(task.maxLength(), org.blip4j.text.BertTokenizer.Padding.LONGEST);
            default ->
                throw new IllegalArgumentException(r.file() + ": text_padding must be max_length or longest, got " + p);
        };
    }

    static <S> DataLoader<Batch> loader(
            org.blip4j.data.Dataset<S> ds,
            java.util.function.Function<List<S>, Batch> collate,
            int batch,
            long seed,
            int workers) {
        return DataLoader.builder(ds, collate)
                .batchSize(batch)
                .shuffle(true)
                .dropLast(true)
                .seed(seed)
                .workers(workers)
                .build();
    }

    /**
     * The ViT of a from-scratch recipe: {@code image_size}, the {@code vision} mapping (ViT-B/16 defaults) and {@code
     * pos_embed_at_output}.
     */
    static VisionConfig visionConfig(Recipe r) {
        var v = r.node("vision");
        return new VisionConfig(
                r.integer("image_size", 224),
                v.path("patch_size").asInt(16),
                v.path("hidden_size").asInt(768),
                v.path("num_layers").asInt(12),
                v.path("num_heads").asInt(12),
                v.path("intermediate_size").asInt(3072),
                1e-6,
                0.0,
                org.blip4j.nn.Activation.GELU,
                placeAtOutput(r));
    }

    /** The recipe's {@code pos_embed_at_output}: false (default), true, normalized or sincos. */
    static VisionConfig.PlaceAtOutput placeAtOutput(Recipe r) {
        return VisionConfig.PlaceAtOutput.parse(
                r.string(POS_AT_OUTPUT, "false"), r.file().toString());
    }

    /**
     * Recipe key: the ViT's position embedding (true), or its layer-normalised form (normalized), is added to its
     * output tokens too ({@link VisionConfig#placeAtOutput()}); from scratch it sets the new ViT, with {@code
     * pretrained} it switches the loaded model's setting for this run and its export.
     */
    static final String POS_AT_OUTPUT = "pos_embed_at_output";

    /** The config, tokenizer and (optional) pre-trained weights named by the recipe. */
    static Setup setup(Recipe r) throws IOException {
        if (r.has("pretrained")) {
            String spec = r.string("pretrained");
            Path local = r.file().toAbsolutePath().getParent().resolve(spec);
            ModelFiles files = ModelFiles.resolve(Files.exists(local) ? local : ModelSource.resolve(spec));
            Map<String, RawTensor> sd = WeightLoader.canonical(Checkpoints.read(files.weights()));
            Integer size = r.has("image_size") ? r.integer("image_size", 0) : null;
            BlipConfig c = BlipLoader.config(files, sd, new Blip.Options(null, size, false));
            if (r.has(POS_AT_OUTPUT)) {
                c = new BlipConfig(c.vision().withPlaceAtOutput(placeAtOutput(r)), c.text(), c.embedDim());
            }
            BertTokenizer tok = BertTokenizer.fromDirectory(files.tokenizerDir());
            BlipLoader.check(files, sd, c, tok); // before the network is allocated
            return new Setup(c, tok, sd, Task.infer(sd.keySet()), files.tokenizerDir());
        }
        // from scratch: text sizes from a med_config.json, ViT sizes from the recipe's 'vision' mapping
        VisionConfig vision = visionConfig(r);
        BlipConfig c = BlipConfig.readOriginal(r.path("med_config"), vision, r.integer("embed_dim", 256));
        ConfigCheck.limits(c, r.file());
        Path vocab = r.path("vocab");
        BertTokenizer tok = BertTokenizer.fromVocab(vocab);
        ConfigCheck.tokenizer(tok, c.text().vocabSize(), r.path("med_config") + " (vocab_size)");
        Path visionInit = r.has("vision_init") ? r.path("vision_init") : null;
        return new Setup(c, tok, null, null, vocab.getParent(), visionInit);
    }

    /**
     * Starts the {@code visual_encoder.*} of {@code model} from another run's weights (a vision stage's model or
     * checkpoint); everything else keeps its initialisation.
     */
    static void initVit(Block model, Path file) throws IOException {
        Map<String, RawTensor> vit = new LinkedHashMap<>();
        WeightLoader.canonical(Checkpoints.read(file)).forEach((k, v) -> {
            if (k.startsWith(VIT_PREFIX)) {
                vit.put(k, v);
            }
        });
        if (vit.isEmpty()) {
            throw new IOException(file + ": vision_init holds no visual_encoder.* weights");
        }
        // another patch size over the same token grid (8 px at 64 px -> 12 px at 96 px): the projection is resized so
        // a larger patch projects as its area-downsampled version did (the position embeddings are interpolated by
        // WeightLoader when the grid changes)
        String proj = VIT_PREFIX + "patch_embed.proj.weight";
        Tensor dst = model.namedTensors().get(proj);
        RawTensor src = vit.get(proj);
        if (dst != null && src != null && src.shape().length == 4 && dst.dim() == 4 && src.shape()[2] != dst.size(2)) {
            try (PointerScope scope = new PointerScope()) {
                vit.put(proj, T.toRaw(PatchEmbed.resize(T.fromRaw(src), dst.size(2))));
            }
            LOG.info("vision_init: {} resized from {}-px to {}-px patches", proj, src.shape()[2], dst.size(2));
        }
        WeightLoader.load(
                model, vit, LoadPolicy.strict().allowingMissing("(?!visual_encoder\\.).*"), "vision_init " + file);
        LOG.info("ViT ({} tensors) from vision_init {}", vit.size(), file);
    }

    /**
     * Loads pre-trained weights into the task network (momentum models and queues are copied or restarted when the
     * checkpoint has none or another queue size) or initialises it from scratch.
     */
    static <B extends Block> B prepare(B model, Setup s, Task task, long seed) throws IOException {
        if (s.weights() == null) {
            Init.blip(model, seed, 0.02);
            if (s.visionInit() != null) { // a ViT trained before (BLIP starts its ViT from ImageNet weights)
                initVit(model, s.visionInit());
            }
            copyMomentum(model);
            return model;
        }
        Map<String, RawTensor> sd = new LinkedHashMap<>(s.weights());
        Map<String, org.bytedeco.pytorch.Tensor> own = model.namedTensors();
        for (String q : List.of("image_queue", "text_queue", "idx_queue", "ptr_queue", "queue_ptr")) {
            RawTensor t = sd.get(q);
            if (t != null && (!own.containsKey(q) || !java.util.Arrays.equals(t.shape(), T.shape(own.get(q))))) {
                sd.remove(q); // a queue of another size restarts, as BLIP's load_checkpoint drops mis-shaped tensors
            }
        }
        boolean momentum = sd.keySet().stream().anyMatch(k -> k.startsWith("visual_encoder_m."));
        var own2 = own.keySet().stream()
                .map(k -> k.contains(".") ? k.substring(0, k.indexOf('.')) : k)
                .distinct()
                .toList();
        LoadPolicy policy = LoadPolicy.strict()
                .ignoringTrainingState()
                .ignoring("(?!(" + String.join("|", own2) + ")(\\..*)?$).*")
                .allowingMissing(
                        ".*_m\\..*",
                        "image_queue",
                        "text_queue",
                        "idx_queue",
                        "ptr_queue",
                        "queue_ptr",
                        "temp",
                        "patch_relation_head\\..*");
        WeightLoader.load(model, sd, policy, "pre-trained weights");
        if (!momentum) {
            copyMomentum(model);
        }
        return model;
    }

    private static void copyMomentum(Block model) {
        if (model instanceof BlipPretrain p) {
            p.copyParams();
        } else if (model instanceof BlipRetrieval q) {
            q.copyParams();
        }
    }

    /**
     * Training-only state that inference never reads: momentum encoders, the ITC queues, the patch-position and
     * patch-relation heads.
     */
    static final java.util.regex.Pattern TRAINING_STATE = java.util.regex.Pattern.compile(
            "(.*_m\\..*|image_queue|text_queue|idx_queue|ptr_queue|queue_ptr|patch_position_head\\..*"
                    + "|patch_relation_head\\..*)");

    /** The tensors an export writes: all of them, or (half) the inference ones in float16. */
    static Map<String, RawTensor> exportWeights(Map<String, org.bytedeco.pytorch.Tensor> named, boolean half) {
        Map<String, RawTensor> weights = new LinkedHashMap<>();
        try (NoGradGuard g = new NoGradGuard()) {
            named.forEach((k, v) -> {
                if (!half) {
                    weights.put(k, T.toRaw(v));
                } else if (!TRAINING_STATE.matcher(k).matches()) {
                    weights.put(
                            k,
                            T.toRaw(
                                    v.is_floating_point()
                                            ? v.to(org.bytedeco.pytorch.global.torch.ScalarType.Half)
                                            : v));
                }
            });
        }
        return weights;
    }

    /**
     * Writes model.safetensors, config.json, the tokenizer and preprocessor_config.json: a folder Blip.load reads.
     * With {@code half} (recipe key {@code export_half}) the floating-point weights are stored as float16 and the
     * training-only state (momentum encoders, queues) is left out, for a small shipped model. Caption settings the
     * recipe gives ({@link #generation}) go to generation_config.json.
     */
    static Path export(Block model, Setup s, Path dir, String architecture, boolean half, GenerationDefaults gen)
            throws IOException {
        Files.createDirectories(dir);
        Map<String, RawTensor> weights = exportWeights(model.namedTensors(), half);
        SafeTensors.write(
                dir.resolve("model.safetensors"), weights, Map.of("format", "pt", "architecture", architecture));
        BertTokenizer tok = s.tokenizer();
        s.config().writeHf(dir.resolve("config.json"), architecture, tok.bosId(), tok.sepId());
        for (String f : List.of("tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json")) {
            Path src = s.tokenizerDir().resolve(f);
            if (Files.isRegularFile(src)) {
                Files.copy(src, dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        int size = s.config().vision().imageSize();
        Files.writeString(
                dir.resolve("preprocessor_config.json"),
                "{\n  \"image_processor_type\": \"BlipImageProcessor\",\n"
                        + "  \"size\": {\"height\": " + size + ", \"width\": " + size + "},\n  \"resample\": 3,\n"
                        + "  \"image_mean\": [0.48145466, 0.4578275, 0.40821073],\n"
                        + "  \"image_std\": [0.26862954, 0.26130258, 0.27577711]\n}\n");
        Path genFile = dir.resolve(GenerationDefaults.FILE);
        if (gen.isEmpty()) {
            Files.deleteIfExists(genFile);
        } else {
            gen.write(genFile);
        }
        return dir;
    }

    /**
     * The recipe's caption settings for the exported model ({@code num_beams}, {@code max_length}, {@code min_length},
     * as in the reference's caption configs, and Hugging Face's {@code no_repeat_ngram_size}): what {@code blip4j
     * caption}, {@code eval} and validation decode with.
     */
    static GenerationDefaults generation(Recipe r) {
        try {
            return new GenerationDefaults(
                    r.has("num_beams") ? r.integer("num_beams", 3) : null,
                    r.has("max_length") ? r.integer("max_length", 30) : null,
                    r.has("min_length") ? r.integer("min_length", 10) : null,
                    r.has("no_repeat_ngram_size") ? r.integer("no_repeat_ngram_size", 0) : null);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(r.file() + ": " + e.getMessage(), e);
        }
    }

    /** ITC queue length: the recipe's {@code queue_size}, else configs/pretrain.yaml's 57,600. */
    private static int queueSize(Recipe r) {
        return r.integer("queue_size", 57600);
    }

    /** Momentum-encoder EMA factor: the recipe's {@code momentum}, else the reference's 0.995. */
    private static double momentum(Recipe r) {
        return r.number("momentum", 0.995);
    }
}

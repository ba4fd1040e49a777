package org.blip4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.blip4j.config.VisionConfig;
import org.blip4j.data.Collate;
import org.blip4j.data.Pixels;
import org.blip4j.data.TrainTransform;
import org.blip4j.dist.Distributed;
import org.blip4j.dist.GradientSync;
import org.blip4j.engine.Bf16Linear;
import org.blip4j.engine.T;
import org.blip4j.io.RawTensor;
import org.blip4j.io.SafeTensors;
import org.blip4j.model.vision.PatchPositionHead;
import org.blip4j.model.vision.PatchRelationHead;
import org.blip4j.model.vision.VisionTransformer;
import org.blip4j.nn.Block;
import org.blip4j.nn.Linear;
import org.blip4j.shapes.PatchGrid;
import org.blip4j.shapes.Scene;
import org.blip4j.shapes.SceneObject;
import org.blip4j.shapes.ShapeColor;
import org.blip4j.shapes.ShapeKind;
import org.blip4j.shapes.ShapesStream;
import org.blip4j.shapes.SizeClass;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Supervised pre-training of the image encoder alone: the stage BLIP takes from ImageNet (paper §4.1, "the image
 * transformer is initialized from ViT pre-trained on ImageNet"), for a world that has no ImageNet. The ViT classifies
 * the shape, colour and size of single-object scenes drawn fresh from the recipe's {@code train_stream}, with one
 * linear head per attribute on its CLS output. A ViT learns shape slowly inside BLIP's pre-training, where every image
 * also pays for three text passes (docs/experiments/vit-plateau.md); here an image costs one ViT pass, so many more
 * scenes fit the same time. BLIP's pre-training then starts from it with the recipe key {@code vision_init}.
 *
 * <p>Recipe keys: {@code vision}, {@code image_size}, {@code train_stream} (with {@code max_objects: 1}
 * unless patch labels),
 * {@code batch_size}, {@code init_lr}, {@code min_lr}, {@code warmup_steps}, {@code max_steps} (cosine to
 * {@code min_lr} over {@code schedule_steps}, default {@code max_steps}), {@code resume_from} (start from another
 * run's checkpoint: weights, optimizer state, step), {@code vision_init}, {@code patch_labels},
 * {@code patch_positions} (with patch labels: every patch token also names its own row and column),
 * {@code patch_relations} (with patch labels: every object patch also names what lies left of, right of, above and
 * below its object, {@link PatchRelationHead}),
 * {@code weight_decay}, {@code precision}, {@code validate: {every, scenes, seed}}, {@code checkpoint_every},
 * {@code output_dir},
 * {@code seed}. Output: {@code output_dir/model/model.safetensors} ({@code visual_encoder.*} and
 * the heads), checkpoints, {@code metrics.jsonl} and {@code training.png} in {@code output_dir/checkpoints}.
 *
 * <p>Data-parallel ({@code blip4j train vision --nproc N}): {@code batch_size} is per rank, as in the other stages,
 * and rank r draws scenes {@code r·batch … (r+1)·batch − 1} of each step's global batch, so N ranks of batch b see
 * exactly the scenes of one process of batch N·b. Each rank's loss terms are scaled by its share of the labelled
 * rows (all-reduced counts), so the averaged gradient is that of the one-process mean over all rows: the same
 * training, up to float summation order. Rank 0 writes checkpoints, metrics and the model and runs validation.
 */
public final class VisionPretraining {
    private static final Logger LOG = LoggerFactory.getLogger(VisionPretraining.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private VisionPretraining() {}

    /**
     * Patch labels of a patch no object covers: no shape (ignored by the shape head, which background patches,
     * outnumbering object patches several times, would teach little but "background"), and a colour class past the
     * colours.
     */
    static final int NO_SHAPE = -100;

    static final int BACKGROUND_COLOR = ShapeColor.values().length;

    /**
     * The ViT with a linear head per attribute on its CLS output and, with patch labels, a colour head on every patch
     * token (the colour of the object under it, or background) and a shape head trained on the patches objects lie
     * under (background patches outnumber them several times and would teach it little but "background").
     */
    static final class Classifier extends Block {
        final VisionTransformer visualEncoder;
        final Linear shapeHead;
        final Linear colorHead;
        final Linear sizeHead;
        final Linear patchShapeHead;
        final Linear patchColorHead;
        final PatchPositionHead patchPositionHead;
        final PatchRelationHead patchRelationHead;

        Classifier(VisionConfig c, boolean patches, boolean positions, boolean relations) {
            visualEncoder = child("visual_encoder", new VisionTransformer(c));
            shapeHead = child("shape_head", new Linear(c.hiddenSize(), ShapeKind.values().length));
            colorHead = child("color_head", new Linear(c.hiddenSize(), ShapeColor.values().length));
            sizeHead = child("size_head", new Linear(c.hiddenSize(), SizeClass.values().length));
            patchShapeHead =
                    patches ? child("patch_shape_head", new Linear(c.hiddenSize(), ShapeKind.values().length)) : null;
            patchColorHead =
                    patches ? child("patch_color_head", new Linear(c.hiddenSize(), BACKGROUND_COLOR + 1)) : null;
            patchPositionHead = positions ? child("patch_position_head", new PatchPositionHead(c)) : null;
            patchRelationHead = relations
                    ? child("patch_relation_head", new PatchRelationHead(c, TrainRunner.RELATION_CLASSES))
                    : null;
        }

        /**
         * Logits of shape, colour and size (B, K) and, with patch heads, of each patch's shape and colour (B·N, K) and,
         * with the position head, of each patch's row and column (B·N, grid) each.
         */
        Tensor[] forward(Tensor pixels) {
            return heads(visualEncoder.forward(pixels));
        }

        /** {@link #forward}'s logits from the ViT's output tokens (B, 1+N, D). */
        Tensor[] heads(Tensor x) {
            Tensor cls = x.select(1, 0); // (B, D)
            Tensor[] cl = {shapeHead.forward(cls), colorHead.forward(cls), sizeHead.forward(cls)};
            if (patchShapeHead == null) {
                return cl;
            }
            Tensor patches = x.narrow(1, 1, x.size(1) - 1).flatten(0, 1); // (B·N, D)
            Tensor shapes = patchShapeHead.forward(patches); // (B·N, shapes)
            Tensor colors = patchColorHead.forward(patches); // (B·N, colours + 1)
            if (patchPositionHead == null) {
                return new Tensor[] {cl[0], cl[1], cl[2], shapes, colors};
            }
            Tensor[] place = patchPositionHead.logits(x); // (B·N, grid) rows, (B·N, grid) columns
            return new Tensor[] {cl[0], cl[1], cl[2], shapes, colors, place[0], place[1]};
        }
    }

    /**
     * One batch: pixels, the labels of each scene's object (-100, ignored, where a scene has several) and, with patch
     * labels, the shape and colour under each patch (B·N, row-major as the ViT's tokens), or null.
     */
    private record Batch(
            float[] pixels,
            long[] shape,
            long[] color,
            long[] size,
            long[] patchShape,
            long[] patchColor,
            long[] patchRelations) {}

    /** Trains (or resumes) and returns the exported model folder ({@code output_dir/model}). */
    public static Path run(Recipe r, boolean resume, boolean progress) throws IOException {
        return run(r, resume, progress, Distributed.single());
    }

    /**
     * Trains as one rank of a data-parallel job ({@code batch_size} per rank); rank 0 reads the starting point
     * (checkpoint, {@code resume_from}, {@code vision_init}) and broadcasts it, writes the files and validates.
     */
    public static Path run(Recipe r, boolean resume, boolean progress, Distributed dist) throws IOException {
        boolean main = dist.isMain();
        VisionConfig vc = TrainRunner.visionConfig(r);
        int side = vc.imageSize();
        ShapesStream stream = TrainRunner.stream(r, side);
        boolean patches = r.flag("patch_labels", false);
        boolean positions = r.flag("patch_positions", false);
        if (positions && !patches) {
            throw new IllegalArgumentException(r.file() + ": patch_positions needs patch_labels: true");
        }
        boolean relations = r.flag("patch_relations", false);
        if (relations && !patches) {
            throw new IllegalArgumentException(r.file() + ": patch_relations needs patch_labels: true");
        }
        boolean bf16 = r.bf16(); // precision: bf16 (mixed precision, as the other stages)
        if (stream == null || (stream.maxObjects() != 1 && !patches)) {
            throw new IllegalArgumentException(r.file()
                    + ": vision pre-training needs a 'train_stream' with max_objects: 1 (it classifies one object)"
                    + " or patch_labels: true (it labels every patch)");
        }
        if (patches && (r.number("min_scale", 1.0) < 1 || r.number("hflip", 0.5) > 0 || r.flag("rand_augment", true))) {
            throw new IllegalArgumentException(r.file() + ": patch_labels needs the whole scene unmoved"
                    + " (min_scale: 1.0, hflip: 0, rand_augment: false): crops, flips and RandAugment's geometric"
                    + " operations would move objects away from their labels");
        }
        if (side % vc.patchSize() != 0) {
            throw new IllegalArgumentException(
                    r.file() + ": image_size " + side + " is not a multiple of patch_size " + vc.patchSize());
        }
        int grid = patches ? side / vc.patchSize() : 0;
        TrainTransform tf = TrainRunner.transform(r, side, 1.0);
        int batch = r.integer("batch_size", 128);
        long maxSteps = r.integer("max_steps", 1500);
        long scheduleSteps = r.integer("schedule_steps", (int) maxSteps); // the cosine's length (may outrun max_steps)
        int warmup = r.integer("warmup_steps", 100);
        double initLr = r.number("init_lr", 5e-4);
        double minLr = r.number("min_lr", 1e-5);
        long seed = r.integer("seed", 42);
        int ckptEvery = r.integer("checkpoint_every", 250);
        int valEvery = r.has("validate") ? r.node("validate").path("every").asInt(250) : 0;
        int valScenes = r.has("validate") ? r.node("validate").path("scenes").asInt(512) : 0;
        long valSeed = r.has("validate") ? r.node("validate").path("seed").asLong(101) : 0;
        Path out = r.path("output_dir");
        Path ckptDir = out.resolve("checkpoints");
        if (main) {
            Files.createDirectories(ckptDir);
        }

        Classifier model = new Classifier(vc, patches, positions, relations);
        Init.blip(model, seed, 0.02);
        model.namedParameters().values().forEach(t -> t.set_requires_grad(true));
        AdamW opt = AdamW.blip(model.namedParameters(), initLr, r.number("weight_decay", 0.05));
        long start = 0;
        Path metrics = ckptDir.resolve("metrics.jsonl");
        Path last = resume && main ? TrainCheckpoint.latest(ckptDir) : null;
        if (last != null) { // only rank 0 reads files; the others get its start by broadcast below
            start = TrainCheckpoint.load(last, model, opt).step();
            keepRowsUpTo(metrics, start);
            LOG.info("resumed from {} (step {})", last, start);
        } else if (main) {
            Files.deleteIfExists(metrics);
            if (r.has("resume_from")) { // another run's checkpoint: weights, optimizer state and step
                Path from = r.path("resume_from");
                Path ckpt = Files.exists(from.resolve("state.json")) ? from : TrainCheckpoint.latest(from);
                if (ckpt == null) {
                    throw new IOException(from + ": resume_from names no checkpoint (a step-N folder or a checkpoints"
                            + " folder holding one)");
                }
                start = TrainCheckpoint.load(ckpt, model, opt).step();
                LOG.info("continuing from {} (step {})", ckpt, start);
            } else if (r.has("vision_init")) { // continue a ViT trained before (e.g. on single objects) with new heads
                TrainRunner.initVit(model, r.path("vision_init")); // the heads keep their initialisation
            }
        }
        int world = dist.worldSize();
        GradientSync sync = null;
        if (dist.enabled()) { // rank 0's start on every rank, as DDP's broadcast at construction
            start = Trainer.broadcastStart(dist, model, opt, start)[0];
            sync = new GradientSync(
                    dist, model.namedParameters().values(), Math.round(r.number("bucket_cap_mb", 25) * (1 << 20)));
        }
        List<Batch> validation = valEvery > 0 && main
                ? validationSet(
                        validationStream(r, stream), tf, side, grid, relations, valScenes, valSeed, batch * world)
                : List.of();

        model.train(true);
        double lossSum = 0;
        long steps = 0; // since the last logged row
        long hits = 0; // shape hits logged: object patches with patch labels, else CLS on single-object scenes
        long seen = 0;
        long t0 = System.nanoTime();
        for (long step = start; step < maxSteps; step++) {
            Batch b = draw(stream, tf, side, grid, relations, batch, dist.rank() * batch, seed, step);
            double lr = step < warmup
                    ? initLr * (step + 1) / warmup
                    : minLr
                            + 0.5
                                    * (initLr - minLr)
                                    * (1 + Math.cos(Math.PI * (step - warmup) / (scheduleSteps - warmup)));
            opt.setLearningRate(lr);
            try (PointerScope s = new PointerScope();
                    Bf16Linear.Autocast mixed = bf16 ? Bf16Linear.autocast() : null) {
                Tensor x = T.floats(b.pixels(), batch, 3, side, side); // (B, 3, S, S)
                Tensor tokens = model.visualEncoder.forward(x); // (B, 1+N, D)
                Tensor[] logits = model.heads(tokens);
                Tensor loss = null;
                long singles = labelled(b.shape());
                long objects = b.patchShape() == null ? 0 : labelled(b.patchShape());
                // with several ranks, each term is scaled by this rank's share of its labelled rows, so the mean of
                // the ranks' gradients is the gradient of the mean over all rows (one process's loss)
                long around = b.patchRelations() == null ? 0 : labelled(b.patchRelations());
                double[] share = shares(dist, singles, objects, around);
                if (singles > 0) { // single-object scenes: the CLS heads
                    loss = T.crossEntropy(logits[0], T.longs(b.shape(), batch), 0.0)
                            .add(T.crossEntropy(logits[1], T.longs(b.color(), batch), 0.0))
                            .add(T.crossEntropy(logits[2], T.longs(b.size(), batch), 0.0));
                    loss = share[0] == 1 ? loss : loss.mul(new org.bytedeco.pytorch.Scalar(share[0]));
                    if (!patches) {
                        hits += matches(logits[0], b.shape());
                        seen += labelled(b.shape());
                    }
                }
                if (patches) { // every patch: the colour under it or background; object patches: the shape
                    long n = b.patchShape().length; // the same on every rank: the colour term needs no share
                    Tensor dense = T.crossEntropy(logits[4], T.longs(b.patchColor(), n), 0.0);
                    if (objects > 0) {
                        Tensor shapeLoss = T.crossEntropy(logits[3], T.longs(b.patchShape(), n), 0.0);
                        dense = dense.add(
                                share[1] == 1 ? shapeLoss : shapeLoss.mul(new org.bytedeco.pytorch.Scalar(share[1])));
                    }
                    if (positions) { // every patch names its own row and column (the same count on every rank)
                        Tensor[] place = PatchPositionHead.labels(grid, b.patchShape().length / (grid * grid));
                        dense = dense.add(T.crossEntropy(logits[5], place[0], 0.0))
                                .add(T.crossEntropy(logits[6], place[1], 0.0));
                    }
                    if (relations && around > 0) { // object patches: what lies left of, right of, above, below
                        Tensor rel = model.patchRelationHead.loss(tokens, b.patchRelations());
                        dense = dense.add(share[2] == 1 ? rel : rel.mul(new org.bytedeco.pytorch.Scalar(share[2])));
                    }
                    loss = loss == null ? dense : loss.add(dense);
                    hits += matches(logits[3], b.patchShape());
                    seen += objects;
                }
                lossSum += T.toFloats(loss.detach())[0];
                steps++;
                loss.backward();
            }
            if (sync != null) {
                sync.average();
            }
            opt.step();
            opt.zeroGrad();
            long done = step + 1;
            if (done % 50 == 0 || done == maxSteps || done % ckptEvery == 0) {
                if (dist.enabled()) { // the logged figures are those of the global batch
                    double[] m = dist.allReduceMean(new double[] {lossSum, hits, seen});
                    lossSum = m[0];
                    hits = Math.round(m[1] * world);
                    seen = Math.round(m[2] * world);
                }
                long n = Math.max(1, steps);
                double secs = (System.nanoTime() - t0) / 1e9;
                double acc = hits / (double) Math.max(1, seen);
                ObjectNode row = JSON.createObjectNode();
                row.put("step", done);
                row.put("loss", lossSum / n);
                row.put("lr", lr);
                row.put(patches ? "train_patch_shape_accuracy" : "train_shape_accuracy", acc);
                if (main) {
                    append(metrics, row);
                }
                if (progress && main) {
                    LOG.info(
                            "step {}/{}  loss {}  {} {}  lr {}  {} s/step",
                            done,
                            maxSteps,
                            String.format("%.4f", lossSum / n),
                            patches ? "object-patch shape accuracy" : "shape accuracy",
                            String.format("%.3f", acc),
                            String.format("%.2e", lr),
                            String.format("%.2f", secs / (done - start)));
                }
                lossSum = 0;
                steps = 0;
                hits = 0;
                seen = 0;
            }
            if (main && valEvery > 0 && (done % valEvery == 0 || done == maxSteps)) {
                ObjectNode row = validate(model, validation, side);
                row.put("step", done);
                append(metrics, row);
                LOG.info("validation at step {}: {}", done, row);
                model.train(true);
            }
            if (main && (done % ckptEvery == 0 || done == maxSteps)) {
                TrainCheckpoint.save(ckptDir, model, opt, new TrainCheckpoint.State(done, 0, 0, seed), Map.of(), 2);
                TrainingPlot.write(metrics, ckptDir.resolve("training.png"));
            }
        }
        Path modelDir = out.resolve("model");
        if (dist.enabled()) {
            dist.verifyIdentical(model.namedTensors());
        }
        if (!main) {
            return modelDir;
        }
        Files.createDirectories(modelDir);
        Map<String, RawTensor> w = new LinkedHashMap<>();
        try (NoGradGuard g = new NoGradGuard()) {
            model.namedTensors().forEach((k, v) -> w.put(k, T.toRaw(v)));
        }
        Path tmp = modelDir.resolve(".model.safetensors.tmp");
        SafeTensors.write(tmp, w, Map.of("format", "pt", "producer", "blip4j", "stage", "vision"));
        Files.move(tmp, modelDir.resolve("model.safetensors"), StandardCopyOption.REPLACE_EXISTING);
        return modelDir;
    }

    /**
     * A batch of fresh scenes; each is a function of (seed, step, index), so a resumed run sees the same stream. With
     * {@code grid > 0}, each scene's grid × grid patches are labelled too.
     */
    private static Batch draw(
            ShapesStream stream,
            TrainTransform tf,
            int side,
            int grid,
            boolean relations,
            int n,
            int offset,
            long seed,
            long step) {
        Pixels[] px = new Pixels[n];
        long[] shape = new long[n];
        long[] color = new long[n];
        long[] size = new long[n];
        int cells = grid * grid;
        long[] patchShape = grid > 0 ? new long[n * cells] : null;
        long[] patchColor = grid > 0 ? new long[n * cells] : null;
        int per = 2 * PatchGrid.RELATIONS.length;
        long[] patchRelations = relations ? new long[n * cells * per] : null;
        IntStream.range(0, n).parallel().forEach(i -> {
            SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step * 1_000_003L + offset + i);
            ShapesStream.Draw d = stream.draw(rng);
            List<SceneObject> objects = d.scene().objects();
            px[i] = tf.apply(d.image(), rng);
            SceneObject o = objects.get(0);
            boolean single = objects.size() == 1;
            shape[i] = single ? o.shape().ordinal() : -100;
            color[i] = single ? o.color().ordinal() : -100;
            size[i] = single ? o.size().ordinal() : -100;
            if (grid > 0) {
                int[] under = PatchGrid.objectsUnder(d.scene(), grid);
                patchLabels(d.scene(), under, patchShape, patchColor, i * cells);
                if (relations) {
                    long[] around = PatchGrid.relationLabels(d.scene(), under);
                    System.arraycopy(around, 0, patchRelations, i * cells * per, around.length);
                }
            }
        });
        return new Batch(Collate.stack(List.of(px)), shape, color, size, patchShape, patchColor, patchRelations);
    }

    /**
     * What lies under each patch of a scene, row-major as the ViT's patch tokens ({@link PatchGrid#objectsUnder}): the
     * object's shape and colour, background elsewhere.
     */
    static void patchLabels(Scene scene, int grid, long[] shape, long[] color, int offset) {
        patchLabels(scene, PatchGrid.objectsUnder(scene, grid), shape, color, offset);
    }

    private static void patchLabels(Scene scene, int[] under, long[] shape, long[] color, int offset) {
        List<SceneObject> objects = scene.objects();
        for (int p = 0; p < under.length; p++) {
            SceneObject o = under[p] < 0 ? null : objects.get(under[p]);
            shape[offset + p] = o == null ? NO_SHAPE : o.shape().ordinal();
            color[offset + p] = o == null ? BACKGROUND_COLOR : o.color().ordinal();
        }
    }

    /**
     * The stream held-out scenes are drawn from: the training stream, with {@code validate.max_objects} objects at most
     * when the recipe gives it (to measure a run trained on another mix on the world's own), and always with the world
     * renderer's outlines (so that runs with and without {@code styled} are measured alike).
     */
    static ShapesStream validationStream(Recipe r, ShapesStream stream) {
        boolean objects = r.has("validate") && r.node("validate").has("max_objects");
        if (!objects && stream.styledFraction() == 0) {
            return stream;
        }
        return new ShapesStream(
                stream.seed(),
                stream.minSide(),
                stream.maxSide(),
                stream.aliasedFraction(),
                objects ? r.node("validate").path("max_objects").asInt() : stream.maxObjects(),
                stream.pool(),
                stream.solidFraction(),
                0);
    }

    private static List<Batch> validationSet(
            ShapesStream stream,
            TrainTransform tf,
            int side,
            int grid,
            boolean relations,
            int scenes,
            long seed,
            int batch) {
        List<Batch> out = new ArrayList<>();
        for (int i = 0; i * batch < scenes; i++) {
            out.add(draw(stream, tf, side, grid, relations, Math.min(batch, scenes - i * batch), 0, seed, -1 - i));
        }
        return out;
    }

    private static ObjectNode validate(Classifier model, List<Batch> batches, int side) {
        model.train(false);
        long[] hits = new long[6]; // CLS shape, colour, size (single-object scenes); object-patch shape, colour; place
        long n = 0;
        long patchN = 0;
        long placeN = 0;
        long[] around = new long[5]; // relation head: shape, colour hits, entries; shape hits, entries with an object
        try (NoGradGuard g = new NoGradGuard()) {
            for (Batch b : batches) {
                int k = b.shape().length;
                try (PointerScope s = new PointerScope()) {
                    Tensor tokens = model.visualEncoder.forward(T.floats(b.pixels(), k, 3, side, side));
                    Tensor[] logits = model.heads(tokens);
                    if (b.patchRelations() != null) {
                        long[] c = model.patchRelationHead.hits(tokens, b.patchRelations());
                        for (int i = 0; i < around.length; i++) {
                            around[i] += c[i];
                        }
                    }
                    hits[0] += matches(logits[0], b.shape());
                    hits[1] += matches(logits[1], b.color());
                    hits[2] += matches(logits[2], b.size());
                    if (b.patchShape() != null) {
                        long[] objectColors = b.patchColor().clone(); // colour measured on object patches only
                        for (int i = 0; i < objectColors.length; i++) {
                            objectColors[i] = b.patchShape()[i] == NO_SHAPE ? -100 : objectColors[i];
                        }
                        hits[3] += matches(logits[3], b.patchShape());
                        hits[4] += matches(logits[4], objectColors);
                        patchN += labelled(b.patchShape());
                        if (logits.length > 5) { // both the row and the column right
                            long[] rows = T.toLongs(logits[5].argmax(new LongOptional(1), false));
                            long[] cols = T.toLongs(logits[6].argmax(new LongOptional(1), false));
                            int grid = logits[5].size(1) > 0 ? (int) logits[5].size(1) : 1;
                            for (int i = 0; i < rows.length; i++) {
                                int p = i % (grid * grid);
                                hits[5] += rows[i] == p / grid && cols[i] == p % grid ? 1 : 0;
                            }
                            placeN += rows.length;
                        }
                    }
                }
                n += labelled(b.shape());
            }
        }
        ObjectNode row = JSON.createObjectNode();
        if (n > 0) {
            row.put("val_shape_accuracy", hits[0] / (double) n);
            row.put("val_color_accuracy", hits[1] / (double) n);
            row.put("val_size_accuracy", hits[2] / (double) n);
        }
        if (patchN > 0) {
            row.put("val_patch_shape_accuracy", hits[3] / (double) patchN);
            row.put("val_patch_color_accuracy", hits[4] / (double) patchN);
        }
        if (placeN > 0) {
            row.put("val_patch_position_accuracy", hits[5] / (double) placeN);
        }
        if (around[2] > 0) { // the shape and the colour of the object in each relation (or none) named right
            row.put("val_patch_relation_shape_accuracy", around[0] / (double) around[2]);
            row.put("val_patch_relation_color_accuracy", around[1] / (double) around[2]);
        }
        if (around[4] > 0) { // the same where an object is in that relation (not "none")
            row.put("val_patch_relation_object_accuracy", around[3] / (double) around[4]);
        }
        return row;
    }

    /**
     * This rank's factor for the CLS terms, the patch-shape term and the patch-relation term: {@code world · local /
     * global} labelled rows (1 with one process), so that averaging the ranks' gradients gives the gradient of one
     * process's mean.
     */
    private static double[] shares(Distributed dist, long singles, long objects, long around) {
        if (!dist.enabled()) {
            return new double[] {1, 1, 1};
        }
        double[] mean = dist.allReduceMean(new double[] {singles, objects, around}); // global count / world
        return new double[] {
            mean[0] > 0 ? singles / mean[0] : 0, mean[1] > 0 ? objects / mean[1] : 0, mean[2] > 0 ? around / mean[2] : 0
        };
    }

    /** Rows whose argmax is the label (rows labelled -100 never count). */
    private static long matches(Tensor logits, long[] labels) {
        long[] pred = T.toLongs(logits.argmax(new LongOptional(1), false));
        long hits = 0;
        for (int i = 0; i < labels.length; i++) {
            hits += labels[i] >= 0 && pred[i] == labels[i] ? 1 : 0;
        }
        return hits;
    }

    /** Labels that are not -100. */
    private static long labelled(long[] labels) {
        long n = 0;
        for (long l : labels) {
            n += l >= 0 ? 1 : 0;
        }
        return n;
    }

    private static void append(Path metrics, ObjectNode row) throws IOException {
        Files.writeString(
                metrics,
                JSON.writeValueAsString(row) + "\n",
                java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
    }

    /** After a resume: the rows of steps that will be run again are dropped, so none is written twice. */
    private static void keepRowsUpTo(Path metrics, long step) throws IOException {
        if (!Files.exists(metrics)) {
            return;
        }
        List<String> keep = new ArrayList<>();
        for (String l : Files.readAllLines(metrics)) {
            if (!l.isBlank() && JSON.readTree(l).path("step").asLong() <= step) {
                keep.add(l);
            }
        }
        Files.write(metrics, keep);
    }
}

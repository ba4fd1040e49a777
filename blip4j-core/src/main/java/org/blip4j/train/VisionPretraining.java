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
import org.blip4j.engine.T;
import org.blip4j.io.RawTensor;
import org.blip4j.io.SafeTensors;
import org.blip4j.model.vision.VisionTransformer;
import org.blip4j.nn.Block;
import org.blip4j.nn.Linear;
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
 * <p>Recipe keys: {@code vision}, {@code image_size}, {@code train_stream} (with {@code max_objects: 1}),
 * {@code batch_size}, {@code init_lr}, {@code min_lr}, {@code warmup_steps}, {@code max_steps} (cosine to
 * {@code min_lr}), {@code weight_decay}, {@code validate: {every, scenes, seed}}, {@code checkpoint_every},
 * {@code output_dir}, {@code seed}. Output: {@code output_dir/model/model.safetensors} ({@code visual_encoder.*} and
 * the heads), checkpoints, {@code metrics.jsonl} and {@code training.png} in {@code output_dir/checkpoints}.
 */
public final class VisionPretraining {
    private static final Logger LOG = LoggerFactory.getLogger(VisionPretraining.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private VisionPretraining() {}

    /** The ViT with a linear head per attribute on its CLS output. */
    static final class Classifier extends Block {
        final VisionTransformer visualEncoder;
        final Linear shapeHead;
        final Linear colorHead;
        final Linear sizeHead;

        Classifier(VisionConfig c) {
            visualEncoder = child("visual_encoder", new VisionTransformer(c));
            shapeHead = child("shape_head", new Linear(c.hiddenSize(), ShapeKind.values().length));
            colorHead = child("color_head", new Linear(c.hiddenSize(), ShapeColor.values().length));
            sizeHead = child("size_head", new Linear(c.hiddenSize(), SizeClass.values().length));
        }

        /** Logits of shape, colour and size. */
        Tensor[] forward(Tensor pixels) {
            Tensor cls = visualEncoder.forward(pixels).select(1, 0); // (B, D)
            return new Tensor[] {shapeHead.forward(cls), colorHead.forward(cls), sizeHead.forward(cls)};
        }
    }

    /** One batch: pixels and the labels of each scene's object. */
    private record Batch(float[] pixels, long[] shape, long[] color, long[] size) {}

    /** Trains (or resumes) and returns the exported model folder ({@code output_dir/model}). */
    public static Path run(Recipe r, boolean resume, boolean progress) throws IOException {
        VisionConfig vc = TrainRunner.visionConfig(r);
        int side = vc.imageSize();
        ShapesStream stream = TrainRunner.stream(r, side);
        if (stream == null || stream.maxObjects() != 1) {
            throw new IllegalArgumentException(r.file()
                    + ": vision pre-training needs a 'train_stream' with max_objects: 1 (it classifies one object)");
        }
        TrainTransform tf = TrainRunner.transform(r, side, 1.0);
        int batch = r.integer("batch_size", 128);
        long maxSteps = r.integer("max_steps", 1500);
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
        Files.createDirectories(ckptDir);

        Classifier model = new Classifier(vc);
        Init.blip(model, seed, 0.02);
        model.namedParameters().values().forEach(t -> t.set_requires_grad(true));
        AdamW opt = AdamW.blip(model.namedParameters(), initLr, r.number("weight_decay", 0.05));
        long start = 0;
        Path metrics = ckptDir.resolve("metrics.jsonl");
        Path last = resume ? TrainCheckpoint.latest(ckptDir) : null;
        if (last != null) {
            start = TrainCheckpoint.load(last, model, opt).step();
            keepRowsUpTo(metrics, start);
            LOG.info("resumed from {} (step {})", last, start);
        } else {
            Files.deleteIfExists(metrics);
        }
        List<Batch> validation = valEvery > 0 ? validationSet(stream, tf, side, valScenes, valSeed, batch) : List.of();

        model.train(true);
        double lossSum = 0;
        long hits = 0;
        long seen = 0;
        long t0 = System.nanoTime();
        for (long step = start; step < maxSteps; step++) {
            Batch b = draw(stream, tf, side, batch, seed, step);
            double lr = step < warmup
                    ? initLr * (step + 1) / warmup
                    : minLr + 0.5 * (initLr - minLr) * (1 + Math.cos(Math.PI * (step - warmup) / (maxSteps - warmup)));
            opt.setLearningRate(lr);
            try (PointerScope s = new PointerScope()) {
                Tensor x = T.floats(b.pixels(), batch, 3, side, side); // (B, 3, S, S)
                Tensor[] logits = model.forward(x);
                Tensor loss = T.crossEntropy(logits[0], T.longs(b.shape(), batch), 0.0)
                        .add(T.crossEntropy(logits[1], T.longs(b.color(), batch), 0.0))
                        .add(T.crossEntropy(logits[2], T.longs(b.size(), batch), 0.0));
                hits += matches(logits[0], b.shape());
                seen += batch;
                lossSum += T.toFloats(loss.detach())[0];
                loss.backward();
            }
            opt.step();
            opt.zeroGrad();
            long done = step + 1;
            if (done % 50 == 0 || done == maxSteps || done % ckptEvery == 0) {
                long n = Math.max(1, seen / batch);
                double secs = (System.nanoTime() - t0) / 1e9;
                ObjectNode row = JSON.createObjectNode();
                row.put("step", done);
                row.put("loss", lossSum / n);
                row.put("lr", lr);
                row.put("train_shape_accuracy", hits / (double) seen);
                append(metrics, row);
                if (progress) {
                    LOG.info(
                            "step {}/{}  loss {}  shape accuracy {}  lr {}  {} s/step",
                            done,
                            maxSteps,
                            String.format("%.4f", lossSum / n),
                            String.format("%.3f", hits / (double) seen),
                            String.format("%.2e", lr),
                            String.format("%.2f", secs / (done - start)));
                }
                lossSum = 0;
                hits = 0;
                seen = 0;
            }
            if (valEvery > 0 && (done % valEvery == 0 || done == maxSteps)) {
                ObjectNode row = validate(model, validation, side);
                row.put("step", done);
                append(metrics, row);
                LOG.info("validation at step {}: {}", done, row);
                model.train(true);
            }
            if (done % ckptEvery == 0 || done == maxSteps) {
                TrainCheckpoint.save(ckptDir, model, opt, new TrainCheckpoint.State(done, 0, 0, seed), Map.of(), 2);
                TrainingPlot.write(metrics, ckptDir.resolve("training.png"));
            }
        }
        Path modelDir = out.resolve("model");
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

    /** A batch of fresh scenes; each is a function of (seed, step, index), so a resumed run sees the same stream. */
    private static Batch draw(ShapesStream stream, TrainTransform tf, int side, int n, long seed, long step) {
        Pixels[] px = new Pixels[n];
        long[] shape = new long[n];
        long[] color = new long[n];
        long[] size = new long[n];
        IntStream.range(0, n).parallel().forEach(i -> {
            SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step * 1_000_003L + i);
            ShapesStream.Draw d = stream.draw(rng);
            SceneObject o = d.scene().objects().get(0);
            px[i] = tf.apply(d.image(), rng);
            shape[i] = o.shape().ordinal();
            color[i] = o.color().ordinal();
            size[i] = o.size().ordinal();
        });
        return new Batch(Collate.stack(List.of(px)), shape, color, size);
    }

    private static List<Batch> validationSet(
            ShapesStream stream, TrainTransform tf, int side, int scenes, long seed, int batch) {
        List<Batch> out = new ArrayList<>();
        for (int i = 0; i * batch < scenes; i++) {
            out.add(draw(stream, tf, side, Math.min(batch, scenes - i * batch), seed, -1 - i));
        }
        return out;
    }

    private static ObjectNode validate(Classifier model, List<Batch> batches, int side) {
        model.train(false);
        long[] hits = new long[3];
        long n = 0;
        try (NoGradGuard g = new NoGradGuard()) {
            for (Batch b : batches) {
                int k = b.shape().length;
                try (PointerScope s = new PointerScope()) {
                    Tensor[] logits = model.forward(T.floats(b.pixels(), k, 3, side, side));
                    hits[0] += matches(logits[0], b.shape());
                    hits[1] += matches(logits[1], b.color());
                    hits[2] += matches(logits[2], b.size());
                }
                n += k;
            }
        }
        ObjectNode row = JSON.createObjectNode();
        row.put("val_shape_accuracy", hits[0] / (double) n);
        row.put("val_color_accuracy", hits[1] / (double) n);
        row.put("val_size_accuracy", hits[2] / (double) n);
        return row;
    }

    private static long matches(Tensor logits, long[] labels) {
        long[] pred = T.toLongs(logits.argmax(new LongOptional(1), false));
        long hits = 0;
        for (int i = 0; i < labels.length; i++) {
            hits += pred[i] == labels[i] ? 1 : 0;
        }
        return hits;
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

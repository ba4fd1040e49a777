package org.blip4j.bench;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import org.blip4j.config.VisionConfig;
import org.blip4j.data.Collate;
import org.blip4j.data.Pixels;
import org.blip4j.data.RandomResizedCrop;
import org.blip4j.data.TrainTransform;
import org.blip4j.engine.T;
import org.blip4j.image.ImageProcessor;
import org.blip4j.model.vision.VisionTransformer;
import org.blip4j.nn.Linear;
import org.blip4j.shapes.SceneObject;
import org.blip4j.shapes.ShapesStream;
import org.blip4j.train.AdamW;
import org.blip4j.train.Init;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;

/**
 * The ViT probe of docs/shapes.md ("Root cause"): the shapes model's image encoder alone, from scratch, with a linear
 * head on its CLS output, learns one attribute of a single-object scene (shape, colour, region or size) from fresh
 * scenes; prints the running loss and accuracy. {@code --dump N FILE} instead writes N scenes (label bytes shape,
 * colour, region, size, then the RGB pixels) for running the same experiment in another framework.
 *
 * <p>Run with {@code bin/probe-vit [--key value ...]}; keys: task (shape), lr (2e-4), batch (32), steps (1500), side
 * (64), patch (8), width (160), depth (4), warmup (30), solid (1.0: fraction of solid backgrounds), every (50).
 */
public final class VitShapeProbe {
    private VitShapeProbe() {}

    public static void main(String[] args) throws IOException {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        String task = a.getOrDefault("task", "shape");
        double lr = Double.parseDouble(a.getOrDefault("lr", "2e-4"));
        int batch = Integer.parseInt(a.getOrDefault("batch", "32"));
        int steps = Integer.parseInt(a.getOrDefault("steps", "1500"));
        int side = Integer.parseInt(a.getOrDefault("side", "64"));
        int patch = Integer.parseInt(a.getOrDefault("patch", "8"));
        int width = Integer.parseInt(a.getOrDefault("width", "160"));
        int depth = Integer.parseInt(a.getOrDefault("depth", "4"));
        int warmup = Integer.parseInt(a.getOrDefault("warmup", "30"));
        int every = Integer.parseInt(a.getOrDefault("every", "50"));
        double solid = Double.parseDouble(a.getOrDefault("solid", "1.0"));
        ShapesStream stream = new ShapesStream(8, side, side, 0, 1, 0, solid);
        if (a.containsKey("dump")) {
            dump(stream, side, Integer.parseInt(a.get("dump")), Path.of(args[args.length - 1]));
            return;
        }
        VisionTransformer vit =
                new VisionTransformer(new VisionConfig(side, patch, width, depth, width / 32, 4 * width, 1e-6));
        Linear head = new Linear(width, 9);
        Init.blip(vit, 1, 0.02);
        Init.blip(head, 2, 0.02);
        Map<String, Tensor> params = new LinkedHashMap<>();
        vit.namedParameters().forEach((k, v) -> params.put("vit." + k, v));
        head.namedParameters().forEach((k, v) -> params.put("head." + k, v));
        params.values().forEach(t -> t.set_requires_grad(true));
        AdamW opt = AdamW.blip(params, lr, 0.05);
        TrainTransform tf = new TrainTransform(
                RandomResizedCrop.of(side, 1.0), 0, null, ImageProcessor.BLIP_MEAN, ImageProcessor.BLIP_STD);
        vit.train(true);
        System.out.printf(
                "probe task=%s lr=%g batch=%d side=%d patch=%d (chance loss %.3f)%n",
                task, lr, batch, side, patch, Math.log(9));
        double lossSum = 0;
        int correct = 0;
        long t0 = System.nanoTime();
        for (int step = 0; step < steps; step++) {
            List<Pixels> px = new ArrayList<>();
            long[] y = new long[batch];
            for (int i = 0; i < batch; i++) {
                SplittableRandom r = new SplittableRandom(step * 100_003L + i);
                ShapesStream.Draw d = stream.draw(r);
                px.add(tf.apply(d.image(), r));
                y[i] = label(task, d.scene().objects().get(0), side);
            }
            opt.setLearningRate(lr * Math.min(1.0, (step + 1.0) / Math.max(1, warmup)));
            try (PointerScope s = new PointerScope()) {
                Tensor x = T.floats(Collate.stack(px), new long[] {batch, 3, side, side}); // (B, 3, S, S)
                Tensor logits = head.forward(vit.forward(x).select(1, 0)); // (B, 9) from the CLS token
                Tensor loss = T.crossEntropy(logits, T.longs(y, batch), 0.0);
                long[] pred = T.toLongs(logits.argmax(new LongOptional(1), false));
                for (int i = 0; i < batch; i++) {
                    correct += pred[i] == y[i] ? 1 : 0;
                }
                lossSum += T.toFloats(loss.detach())[0];
                loss.backward();
            }
            opt.step();
            opt.zeroGrad();
            if ((step + 1) % every == 0) {
                System.out.printf(
                        "step %d  loss %.4f  accuracy %.3f  %.0f s%n",
                        step + 1, lossSum / every, correct / (double) (every * batch), (System.nanoTime() - t0) / 1e9);
                lossSum = 0;
                correct = 0;
            }
        }
    }

    private static long label(String task, SceneObject o, int side) {
        return switch (task) {
            case "shape" -> o.shape().ordinal();
            case "color" -> o.color().ordinal();
            case "region" -> o.region(side).ordinal();
            case "size" -> o.size().ordinal();
            default -> throw new IllegalArgumentException("task must be shape, color, region or size: " + task);
        };
    }

    private static void dump(ShapesStream stream, int side, int n, Path file) throws IOException {
        try (OutputStream f = Files.newOutputStream(file);
                DataOutputStream out = new DataOutputStream(new GZIPOutputStream(f))) {
            for (int i = 0; i < n; i++) {
                ShapesStream.Draw d = stream.draw(new SplittableRandom(424_242L + i));
                SceneObject o = d.scene().objects().get(0);
                out.writeByte(o.shape().ordinal());
                out.writeByte(o.color().ordinal());
                out.writeByte(o.region(side).ordinal());
                out.writeByte(o.size().ordinal());
                out.write(d.image().rgb());
            }
        }
        System.out.println("wrote " + n + " scenes of " + side + " px to " + file);
    }
}

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
 * (64), patch (8), width (160), depth (4), warmup (30), solid (1.0: fraction of solid backgrounds), every (50); the
 * experiments of docs/experiments/vit-plateau.md: pos (sincos), mimetic (a1,b1,a2,b2), dense (weight of a per-patch
 * shape loss), dense-bg (0: no background patches in it), mask (1: white masks on black instead of the colours),
 * mask-steps (masks for the first N steps), mask-frac (a fraction of masked scenes), save (FILE: the ViT every 250
 * steps, as visual_encoder.* weights).
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
        ShapesStream stream = new ShapesStream(8, side, side, 0, 1, 0, solid, 0);
        if (a.containsKey("dump")) {
            dump(stream, side, Integer.parseInt(a.get("dump")), Path.of(args[args.length - 1]));
            return;
        }
        VisionTransformer vit =
                new VisionTransformer(new VisionConfig(side, patch, width, depth, width / 32, 4 * width, 1e-6));
        Linear head = new Linear(width, 9);
        double dense = Double.parseDouble(a.getOrDefault("dense", "0"));
        boolean denseBackground = !a.getOrDefault("dense-bg", "1").equals("0");
        long[] denseHits = new long[2];
        boolean mask = a.getOrDefault("mask", "0").equals("1");
        int maskSteps = Integer.parseInt(a.getOrDefault("mask-steps", "0"));
        double maskFrac = Double.parseDouble(a.getOrDefault("mask-frac", "0"));
        long[] colourHits = new long[2];
        Linear denseHead = new Linear(width, 10); // per patch: the shape covering it, or 9 = background
        Init.blip(denseHead, 3, 0.02);
        Init.blip(vit, 1, 0.02);
        if (a.getOrDefault("pos", "learned").equals("sincos")) {
            ProbeInit.sincosPositions(vit.namedParameters().get("pos_embed"), side / patch);
        }
        if (a.containsKey("mimetic")) { // a1,b1,a2,b2
            String[] m = a.get("mimetic").split(",");
            ProbeInit.mimeticAttention(
                    vit,
                    width / 32,
                    Double.parseDouble(m[0]),
                    Double.parseDouble(m[1]),
                    Double.parseDouble(m[2]),
                    Double.parseDouble(m[3]),
                    7);
        }
        Init.blip(head, 2, 0.02);
        Map<String, Tensor> params = new LinkedHashMap<>();
        vit.namedParameters().forEach((k, v) -> params.put("vit." + k, v));
        head.namedParameters().forEach((k, v) -> params.put("head." + k, v));
        if (dense > 0) {
            denseHead.namedParameters().forEach((k, v) -> params.put("dense." + k, v));
        }
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
            boolean[] masked = new boolean[batch];
            int grid = side / patch;
            long[] yd = new long[batch * grid * grid];
            for (int i = 0; i < batch; i++) {
                SplittableRandom r = new SplittableRandom(step * 100_003L + i);
                ShapesStream.Draw d = stream.draw(r);
                masked[i] = mask || step < maskSteps || r.nextDouble() < maskFrac;
                px.add(tf.apply(masked[i] ? maskImage(d) : d.image(), r));
                y[i] = label(task, d.scene().objects().get(0), side);
                patchLabels(d.scene(), grid, yd, i * grid * grid);
            }
            long[] ydLoss = yd.clone();
            for (int j = 0; j < ydLoss.length && !denseBackground; j++) {
                ydLoss[j] = ydLoss[j] == 9 ? -100 : ydLoss[j];
            }
            opt.setLearningRate(lr * Math.min(1.0, (step + 1.0) / Math.max(1, warmup)));
            try (PointerScope s = new PointerScope()) {
                Tensor x = T.floats(Collate.stack(px), new long[] {batch, 3, side, side}); // (B, 3, S, S)
                Tensor h = vit.forward(x); // (B, 1 + G², D)
                Tensor logits = head.forward(h.select(1, 0)); // (B, 9) from the CLS token
                Tensor loss = T.crossEntropy(logits, T.longs(y, batch), 0.0);
                if (dense > 0) {
                    Tensor pl = denseHead.forward(h.narrow(1, 1, (long) grid * grid)); // (B, G², 10)
                    Tensor dl = T.crossEntropy(pl.reshape(-1, 10), T.longs(ydLoss, yd.length), 0.0);
                    long[] dp = T.toLongs(pl.argmax(new LongOptional(2), false));
                    for (int j = 0; j < yd.length; j++) {
                        if (yd[j] != 9) {
                            denseHits[0] += dp[j] == yd[j] ? 1 : 0;
                            denseHits[1]++;
                        }
                    }
                    loss = loss.add(dl.mul(T.s(dense)));
                }
                long[] pred = T.toLongs(logits.argmax(new LongOptional(1), false));
                for (int i = 0; i < batch; i++) {
                    correct += pred[i] == y[i] ? 1 : 0;
                    if (!masked[i]) {
                        colourHits[0] += pred[i] == y[i] ? 1 : 0;
                        colourHits[1]++;
                    }
                }
                lossSum += T.toFloats(loss.detach())[0];
                loss.backward();
            }
            opt.step();
            opt.zeroGrad();
            if (a.containsKey("save") && ((step + 1) % 250 == 0 || step + 1 == steps)) {
                Map<String, org.blip4j.io.RawTensor> w = new LinkedHashMap<>();
                vit.namedTensors().forEach((k, v) -> w.put("visual_encoder." + k, T.toRaw(v)));
                Path f = Path.of(a.get("save"));
                Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
                org.blip4j.io.SafeTensors.write(tmp, w, Map.of("format", "pt", "step", String.valueOf(step + 1)));
                Files.move(tmp, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            if ((step + 1) % every == 0) {
                System.out.printf(
                        "step %d  loss %.4f  accuracy %.3f  coloured %.3f  object-patch accuracy %.3f  %.0f s%n",
                        step + 1,
                        lossSum / every,
                        correct / (double) (every * batch),
                        colourHits[0] / Math.max(1.0, colourHits[1]),
                        denseHits[0] / Math.max(1.0, denseHits[1]),
                        (System.nanoTime() - t0) / 1e9);
                denseHits[0] = 0;
                colourHits[0] = 0;
                colourHits[1] = 0;
                denseHits[1] = 0;
                lossSum = 0;
                correct = 0;
            }
        }
    }

    /** Per patch of a grid × grid tiling: the shape of the topmost object covering ≥ 1/4 of it, else 9. */
    static void patchLabels(org.blip4j.shapes.Scene scene, int grid, long[] out, int offset) {
        double cell = scene.size() / (double) grid;
        for (int r = 0; r < grid; r++) {
            for (int c = 0; c < grid; c++) {
                long lab = 9;
                List<SceneObject> objs = scene.objects();
                for (int o = objs.size() - 1; o >= 0 && lab == 9; o--) {
                    java.awt.geom.Path2D.Double path = objs.get(o).path();
                    int hits = 0;
                    for (int u = 0; u < 4; u++) {
                        for (int v = 0; v < 4; v++) {
                            hits += path.contains((c + (v + 0.5) / 4) * cell, (r + (u + 0.5) / 4) * cell) ? 1 : 0;
                        }
                    }
                    if (hits >= 4) {
                        lab = objs.get(o).shape().ordinal();
                    }
                }
                out[offset + r * grid + c] = lab;
            }
        }
    }

    /** The scene as white objects on black: the shapes' masks without colour. */
    static org.blip4j.image.RgbImage maskImage(ShapesStream.Draw d) {
        org.blip4j.image.RgbImage im = d.image();
        byte[] out = new byte[im.rgb().length];
        double sx = d.scene().size() / (double) im.width();
        for (SceneObject o : d.scene().objects()) {
            java.awt.geom.Path2D.Double path = o.path();
            for (int yy = 0; yy < im.height(); yy++) {
                for (int xx = 0; xx < im.width(); xx++) {
                    if (path.contains((xx + 0.5) * sx, (yy + 0.5) * sx)) {
                        int k = 3 * (yy * im.width() + xx);
                        out[k] = out[k + 1] = out[k + 2] = (byte) 255;
                    }
                }
            }
        }
        return new org.blip4j.image.RgbImage(im.width(), im.height(), out);
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

package org.blip4j.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.blip4j.config.VisionConfig;
import org.blip4j.data.Collate;
import org.blip4j.data.TrainTransform;
import org.blip4j.engine.Engine;
import org.blip4j.engine.T;
import org.blip4j.shapes.SceneObject;
import org.blip4j.shapes.ShapeKind;
import org.blip4j.shapes.ShapesStream;
import org.blip4j.weights.Checkpoints;
import org.blip4j.weights.LoadPolicy;
import org.blip4j.weights.WeightLoader;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * Probe (not a test): how well a scene-stage ViT names each object's shape, split by object size and shape. An
 * object's shape is the argmax of its labelled patches' summed shape logits. Usage: {@code VitObjectProbe RECIPE
 * MODEL.safetensors [SCENES]} (the recipe gives the ViT's sizes and the scene stream).
 */
public final class VitObjectProbe {
    private VitObjectProbe() {}

    public static void main(String[] args) throws Exception {
        Engine.load();
        Recipe r = Recipe.read(Path.of(args[0]), Map.of());
        int scenes = args.length > 2 ? Integer.parseInt(args[2]) : 1024;
        VisionConfig vc = TrainRunner.visionConfig(r);
        int side = vc.imageSize();
        int grid = side / vc.patchSize();
        ShapesStream stream = TrainRunner.stream(r, side);
        TrainTransform tf = TrainRunner.transform(r, side, 1.0);
        VisionPretraining.Classifier model = new VisionPretraining.Classifier(vc, true, false, false);
        WeightLoader.load(
                model, WeightLoader.canonical(Checkpoints.read(Path.of(args[1]))), LoadPolicy.strict(), args[1]);
        model.train(false);
        int kinds = ShapeKind.values().length;
        long[][] hit = new long[2][kinds];
        long[][] all = new long[2][kinds];
        long[][] confusion = new long[kinds][kinds];
        int batch = 64;
        try (NoGradGuard g = new NoGradGuard()) {
            for (int start = 0; start < scenes; start += batch) {
                int n = Math.min(batch, scenes - start);
                var px = new org.blip4j.data.Pixels[n];
                List<SceneObject>[] objs = new List[n];
                int[][] under = new int[n][];
                for (int i = 0; i < n; i++) {
                    SplittableRandom rng = new SplittableRandom(777L * 0x9E3779B97F4A7C15L + start + i);
                    ShapesStream.Draw d = stream.draw(rng);
                    px[i] = tf.apply(d.image(), rng);
                    objs[i] = d.scene().objects();
                    under[i] = org.blip4j.shapes.PatchGrid.objectsUnder(d.scene(), grid);
                }
                try (PointerScope s = new PointerScope()) {
                    Tensor[] logits = model.forward(T.floats(Collate.stack(List.of(px)), n, 3, side, side));
                    float[] ps = T.toFloats(logits[3].log_softmax(1)); // (n·N, K)
                    for (int i = 0; i < n; i++) {
                        for (int k = 0; k < objs[i].size(); k++) {
                            double[] sum = new double[kinds];
                            int count = 0;
                            for (int p = 0; p < grid * grid; p++) {
                                int row = i * grid * grid + p;
                                if (under[i][p] == k) {
                                    count++;
                                    for (int c = 0; c < kinds; c++) {
                                        sum[c] += ps[row * kinds + c];
                                    }
                                }
                            }
                            if (count == 0) {
                                continue;
                            }
                            int best = 0;
                            for (int c = 1; c < kinds; c++) {
                                best = sum[c] > sum[best] ? c : best;
                            }
                            SceneObject o = objs[i].get(k);
                            int sz = o.size().ordinal();
                            int truth = o.shape().ordinal();
                            all[sz][truth]++;
                            hit[sz][truth] += best == truth ? 1 : 0;
                            confusion[truth][best]++;
                        }
                    }
                }
            }
        }
        for (int sz = 0; sz < 2; sz++) {
            long h = 0;
            long a = 0;
            StringBuilder sb = new StringBuilder();
            for (int c = 0; c < kinds; c++) {
                h += hit[sz][c];
                a += all[sz][c];
                sb.append(String.format(" %s %.2f", ShapeKind.values()[c].word(), hit[sz][c] / (double) all[sz][c]));
            }
            System.out.printf("size %d: objects %d accuracy %.3f |%s%n", sz, a, h / (double) a, sb);
        }
        for (int t = 0; t < kinds; t++) {
            StringBuilder sb = new StringBuilder(String.format("%-10s", ShapeKind.values()[t].word()));
            for (int c = 0; c < kinds; c++) {
                sb.append(String.format(" %4d", confusion[t][c]));
            }
            System.out.println(sb);
        }
    }
}

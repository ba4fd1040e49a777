package org.blip4j.bench;

import org.blip4j.config.BlipConfig;
import org.blip4j.model.vision.VisionTransformer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Peak resident memory and time of a ViT-B/16@224 forward + backward at a given batch, with the last N blocks
 * gradient-checkpointed: {@code CheckpointProbe BATCH N} (one JVM per setting, so the peaks are comparable).
 */
public final class CheckpointProbe {
    public static void main(String[] args) throws Exception {
        int batch = Integer.parseInt(args[0]);
        int ckpt = Integer.parseInt(args[1]);
        VisionTransformer vit =
                TaskBenchmark.random(new VisionTransformer(BlipConfig.base(224).vision()), 1);
        vit.requiresGrad(true);
        vit.train(true);
        vit.gradientCheckpointing(ckpt);
        long rss0 = TaskBenchmark.peakRssMb();
        double ms = 0;
        for (int r = 0; r < 2; r++) {
            try (PointerScope s = new PointerScope()) {
                long t0 = System.nanoTime();
                Tensor y = vit.forward(torch.randn(batch, 3, 224, 224)); // (B, 197, 768)
                y.pow(torch.scalar_tensor(new org.bytedeco.pytorch.Scalar(2.0)))
                        .mean()
                        .backward();
                vit.finishBackward();
                ms = (System.nanoTime() - t0) / 1e6;
            }
        }
        System.out.printf(
                "| ViT-B/16@224, batch %d, %d blocks checkpointed | %.1f s | peak RSS %d MB (after building the model %d MB) |%n",
                batch, ckpt, ms / 1000, TaskBenchmark.peakRssMb(), rss0);
    }
}

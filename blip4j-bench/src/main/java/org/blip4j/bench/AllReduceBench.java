package org.blip4j.bench;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.blip4j.config.BlipConfig;
import org.blip4j.dist.Distributed;
import org.blip4j.dist.GradientSync;
import org.blip4j.dist.Launcher;
import org.blip4j.engine.Engine;
import org.blip4j.model.BlipPretrain;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The communication of one data-parallel step at base size: the bucketed gradient all-reduce ({@link GradientSync},
 * Gloo on loopback) over the trainable parameters of BLIP pre-training with ViT-B/16 and BERT-base, between local
 * ranks. Run without arguments it starts the ranks itself:
 * {@code java -cp … org.blip4j.bench.AllReduceBench [ranks (2)] [rounds (3)] [bucket MB (25)]}. Needs about 3.6 GB
 * of memory per rank (weights with momentum encoders, gradients, buckets).
 */
public final class AllReduceBench {
    private AllReduceBench() {}

    public static void main(String[] args) throws Exception {
        int ranks = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        double bucketMb = args.length > 2 ? Double.parseDouble(args[2]) : 25;
        if (System.getenv("WORLD_SIZE") == null) {
            Launcher.Result r = Launcher.run(
                    new Launcher.Spec(ranks, 1, 0, "127.0.0.1", 0, Duration.ofSeconds(5)),
                    Launcher.javaCommand(AllReduceBench.class.getName(), List.of(args)),
                    System.out,
                    System.err);
            System.exit(r.exitCode());
        }
        Engine.setThreads(1);
        try (Distributed d = Distributed.fromEnvironment()) {
            BlipPretrain m = new BlipPretrain(BlipConfig.base(224), 57600, 0.995); // zeros: only the sizes matter
            Map<String, Tensor> params = m.trainableParameters();
            long n = 0;
            for (Tensor p : params.values()) {
                p.set_requires_grad(true);
                p.mutable_grad().put(torch.ones_like(p));
                n += p.numel();
            }
            GradientSync sync = new GradientSync(d, params.values(), Math.round(bucketMb * (1 << 20)));
            sync.average(); // warm-up: buckets, connections
            long best = Long.MAX_VALUE;
            long total = 0;
            for (int i = 0; i < rounds; i++) {
                long t = System.nanoTime();
                sync.average();
                long dt = System.nanoTime() - t;
                best = Math.min(best, dt);
                total += dt;
            }
            if (d.isMain()) {
                System.out.printf(
                        "%d ranks, %.1f M parameters (%.0f MB of float32 gradients), %d buckets of %.0f MB: "
                                + "all-reduce %.2f s best, %.2f s mean of %d%n",
                        d.worldSize(),
                        n / 1e6,
                        n * 4 / 1e6,
                        sync.buckets(),
                        bucketMb,
                        best / 1e9,
                        total / 1e9 / rounds,
                        rounds);
            }
        }
    }
}

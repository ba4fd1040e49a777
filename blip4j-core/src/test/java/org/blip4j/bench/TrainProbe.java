package org.blip4j.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.blip4j.config.BlipConfig;
import org.blip4j.engine.OneDnnLinear;
import org.blip4j.engine.T;
import org.blip4j.model.BlipDecoder;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The caption training step of {@code bin/bench-tasks} split into forward and backward (ms), for profiling:
 * {@code TrainProbe [steps [gemm,gemm,…]]}; run under {@code perf record} to see where the backward goes. With a list
 * of {@code -Dblip4j.gemm} values, the steps take turns among them and each one's median parts are printed.
 */
public final class TrainProbe {
    public static void main(String[] args) throws Exception {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        String[] modes =
                args.length > 1 ? args[1].split(",") : new String[] {System.getProperty(OneDnnLinear.PROPERTY, "auto")};
        Map<String, List<double[]>> times = new LinkedHashMap<>();
        BlipConfig c = BlipConfig.base(224);
        BlipDecoder dec = TaskBenchmark.random(new BlipDecoder(c), 5);
        System.out.println("libtorch threads " + torch.get_num_threads() + ", OPENBLAS_CORETYPE="
                + System.getenv("OPENBLAS_CORETYPE"));
        dec.train(true);
        dec.requiresGrad(true);
        Random rnd = new Random(6);
        long[][] ids = new long[2][30];
        long[][] mask = new long[2][30];
        for (int i = 0; i < 2; i++) {
            ids[i][0] = 30522;
            mask[i][0] = 1;
            for (int j = 1; j < 30; j++) {
                ids[i][j] = 1000 + rnd.nextInt(28000);
                mask[i][j] = 1;
            }
        }
        for (int step = 0; step < 3; step++) {
            try (PointerScope s = new PointerScope();
                    org.bytedeco.pytorch.NoGradGuard ng = new org.bytedeco.pytorch.NoGradGuard()) {
                long t0 = System.nanoTime();
                dec.encodeImage(torch.randn(2, 3, 224, 224));
                System.out.printf("no-grad ViT forward %.0f ms%n", (System.nanoTime() - t0) / 1e6);
            }
        }
        for (int step = 0; step < steps * modes.length; step++) {
            String mode = modes[step % modes.length];
            System.setProperty(OneDnnLinear.PROPERTY, mode);
            try (PointerScope s = new PointerScope()) {
                long t0 = System.nanoTime();
                Tensor idsT = T.longs(ids);
                Tensor maskT = T.longs(mask);
                Tensor img = dec.encodeImage(torch.randn(2, 3, 224, 224));
                long t1 = System.nanoTime();
                Tensor loss = dec.loss(img, idsT, maskT, BlipDecoder.targets(idsT, maskT, 4));
                long t2 = System.nanoTime();
                loss.backward();
                org.blip4j.nn.DeferredBackward.finishAll(dec);
                long t3 = System.nanoTime();
                System.out.printf(
                        "step %d (%s): ViT forward %.0f ms, text forward %.0f ms, backward %.0f ms, total %.0f ms%n",
                        step, mode, (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6, (t3 - t0) / 1e6);
                if (step >= modes.length) { // the first step of each mode warms up
                    times.computeIfAbsent(mode, k -> new ArrayList<>())
                            .add(new double[] {(t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6, (t3 - t0) / 1e6});
                }
                dec.namedParameters().values().forEach(p -> {
                    Tensor g = p.grad();
                    if (g.defined()) {
                        g.zero_();
                    }
                });
            }
        }
        times.forEach((mode, ts) -> {
            double[] med = new double[4];
            for (int k = 0; k < 4; k++) {
                final int kk = k;
                med[k] = ts.stream().mapToDouble(t -> t[kk]).sorted().toArray()[ts.size() / 2];
            }
            System.out.printf(
                    "median (%s, %d steps): ViT forward %.0f ms, text forward %.0f ms, backward %.0f ms, "
                            + "total %.0f ms%n",
                    mode, ts.size(), med[0], med[1], med[2], med[3]);
        });
    }
}

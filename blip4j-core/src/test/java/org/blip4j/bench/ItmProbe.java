package org.blip4j.bench;

import org.blip4j.config.BlipConfig;
import org.blip4j.engine.Engine;
import org.blip4j.engine.T;
import org.blip4j.model.BlipItm;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The ITM text encoder as {@code bin/bench-tasks --only itm} runs it (one image, 256 texts of 35 tokens, random
 * weights), timed call by call, to run under a native profiler ({@code perf record}). Usage: {@code ItmProbe [calls]}.
 */
public final class ItmProbe {
    private ItmProbe() {}

    public static void main(String[] args) {
        Engine.load();
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int texts = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        int chunk = args.length > 2 ? Integer.parseInt(args[2]) : texts;
        BlipItm itm = TaskBenchmark.random(new BlipItm(BlipConfig.base(384)), 2);
        long[][] ids = TaskBenchmark.itmTexts(texts);
        long[][] mask = TaskBenchmark.ones(texts, 35);
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor pixels = torch.randn(1, 3, 384, 384);
            for (int r = 0; r < calls; r++) {
                try (PointerScope s = new PointerScope()) {
                    Tensor img = itm.encodeImage(pixels);
                    long t0 = System.nanoTime();
                    Tensor allIds = T.longs(ids);
                    Tensor allMask = T.longs(mask);
                    for (int from = 0; from < texts; from += chunk) {
                        int to = Math.min(texts, from + chunk);
                        try (PointerScope c = new PointerScope()) {
                            itm.itmLogits(img, allIds.narrow(0, from, to - from), allMask.narrow(0, from, to - from));
                        }
                    }
                    System.out.printf(
                            "text encoder %d texts in chunks of %d: %.0f ms%n",
                            texts, chunk, (System.nanoTime() - t0) / 1e6);
                }
            }
        }
    }
}

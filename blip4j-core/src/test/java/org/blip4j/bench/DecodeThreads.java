package org.blip4j.bench;

import java.util.*;
import org.blip4j.config.BlipConfig;
import org.blip4j.generate.*;
import org.blip4j.model.*;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.*;
import org.bytedeco.pytorch.global.torch;

/**
 * Int8 and float32 decode steps (BLIP-base caption decoder, random weights, beam 3, 20 new tokens after a 384-px
 * image) with libtorch's intra-op threads at 2 and at 1, rounds interleaved in one JVM so the machine's drift hits both
 * alike; prints the median ms per step (cross-attention keys/values included). Main in test sources, never a test.
 * Usage: {@code DecodeThreads} (the classpath of bin/bench-tasks).
 */
public final class DecodeThreads {
    private DecodeThreads() {}

    public static void main(String[] a) throws Exception {
        org.blip4j.engine.Engine.load();
        BlipDecoder dec = new BlipDecoder(BlipConfig.base(384));
        org.blip4j.train.Init.blip(dec, 1, 0.02);
        long[] prefix = {30522, 1037, 3861, 1997};
        GenerationConfig beam20 = GenerationConfig.beam(3, 24, 24);
        Map<String, List<Double>> res = new TreeMap<>();
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor img;
            try (PointerScope s = new PointerScope()) {
                img = dec.encodeImage(torch.randn(1, 3, 384, 384));
                img.retainReference();
            }
            for (boolean int8 : new boolean[] {false, true}) {
                try (Int8Decoding q = int8 ? Int8Decoding.enable(dec.textDecoder()) : null) {
                    for (int r = 0; r < 6; r++) {
                        for (int th : new int[] {2, 1}) {
                            torch.set_num_threads(th);
                            try (PointerScope s = new PointerScope()) {
                                long t0 = System.nanoTime();
                                try (CrossAttentionDecoder d = new CrossAttentionDecoder(dec.textDecoder(), img)) {
                                    long t1 = System.nanoTime();
                                    org.blip4j.generate.Generator.generate(
                                            d, new long[][] {prefix}, beam20, 102, 0, null);
                                    long t2 = System.nanoTime();
                                    if (r > 0) {
                                        res.computeIfAbsent(
                                                        (int8 ? "int8" : "f32") + " threads " + th + " kv",
                                                        k -> new ArrayList<>())
                                                .add((t1 - t0) / 1e6);
                                        res.computeIfAbsent(
                                                        (int8 ? "int8" : "f32") + " threads " + th + " steps",
                                                        k -> new ArrayList<>())
                                                .add((t2 - t1) / 1e6 / 20);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        res.forEach((k, v) -> {
            Collections.sort(v);
            System.out.printf("%s: median %.1f ms (%s)%n", k, v.get(v.size() / 2), v);
        });
    }
}

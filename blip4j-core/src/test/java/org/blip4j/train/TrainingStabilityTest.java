package org.blip4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.blip4j.config.BlipConfig;
import org.blip4j.data.Batch;
import org.blip4j.engine.T;
import org.blip4j.model.BlipDecoder;
import org.blip4j.testutil.Fixture;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guards against Java-owned memory behind autograd's saved tensors: 2,000 training steps with a forced GC between
 * forward and backward give exactly the losses of the same run without it, and never a non-finite gradient.
 */
class TrainingStabilityTest {
    static final int STEPS = 2000;

    @TempDir
    Path tmp;

    /**
     * A direct training loop (forward, optional GC, backward, AdamW) on a one-layer model built from the fixture's
     * sizes, so 2,000 steps stay cheap; returns the loss of every step.
     */
    List<Double> run(Fixture fx, boolean forceGc) throws Exception {
        BlipConfig f = BlipConfig.readHf(fx.require("config.json"));
        var t = f.text();
        var v = f.vision();
        BlipConfig c = new BlipConfig(
                new org.blip4j.config.VisionConfig(
                        v.imageSize(),
                        v.patchSize(),
                        v.hiddenSize(),
                        1,
                        v.numHeads(),
                        v.intermediateSize(),
                        v.layerNormEps()),
                new org.blip4j.config.TextConfig(
                        t.vocabSize(),
                        t.hiddenSize(),
                        1,
                        t.numHeads(),
                        t.intermediateSize(),
                        t.maxPositions(),
                        t.layerNormEps(),
                        t.encoderWidth(),
                        true,
                        0),
                f.embedDim());
        BlipDecoder m = new BlipDecoder(c);
        Init.blip(m, 5, 0.02);
        m.requiresGrad(true);
        AdamW opt = AdamW.blip(m.namedParameters(), 1e-3, 0.05);
        int prompt = fx.manifest()
                .path("tokenizer")
                .path("prompt")
                .path("prompt_length")
                .asInt();
        Tensor pixels = fx.tensor("input.pixel_values");
        Tensor ids = fx.tensor("decoder.input_ids");
        Tensor mask = fx.tensor("decoder.attention_mask");
        Tensor targets = BlipDecoder.targets(ids, mask, prompt);
        List<Double> losses = new java.util.ArrayList<>();
        for (int step = 0; step < STEPS; step++) {
            try (org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
                int i = step % (int) pixels.size(0);
                Tensor loss = m.loss(
                        m.encodeImage(pixels.narrow(0, i, 1)),
                        ids.narrow(0, i, 1),
                        mask.narrow(0, i, 1),
                        targets.narrow(0, i, 1));
                if (forceGc) {
                    System.gc(); // between forward and backward: frees anything Java-owned that autograd still needs
                }
                loss.backward();
                losses.add((double) T.toFloats(loss.detach())[0]);
                if (step % 100 == 0 || step == STEPS - 1) {
                    for (Tensor p : m.namedParameters().values()) {
                        assertTrue(torch.isfinite(p.grad()).all().item_bool(), "finite gradients at step " + step);
                    }
                }
                opt.step();
                opt.zeroGrad();
            }
        }
        return losses;
    }

    @Test
    void forcedGcBetweenForwardAndBackwardChangesNothing() throws Exception {
        int threads = torch.get_num_threads();
        org.blip4j.engine.Engine.setThreads(1); // tiny ops: thread hand-offs would cost more than the work
        try (Fixture fx = Fixture.open()) {
            List<Double> plain = run(fx, false);
            List<Double> gc = run(fx, true);
            assertEquals(STEPS, plain.size());
            assertTrue(plain.stream().allMatch(Double::isFinite));
            assertEquals(
                    plain, gc, "identical losses (so identical gradients and updates) with and without a forced GC");
            assertTrue(
                    plain.get(STEPS - 1) < plain.get(0),
                    "the model learns: " + plain.get(0) + " -> " + plain.get(STEPS - 1));
            System.out.printf(
                    "STABILITY %d steps: loss %.4f -> %.4f, identical with forced GC%n",
                    STEPS, plain.get(0), plain.get(STEPS - 1));
        } finally {
            org.blip4j.engine.Engine.setThreads(threads);
        }
    }

    @Test
    void nonFiniteLossStopsTrainingAndKeepsTheLastCheckpoint() throws Exception {
        try (Fixture fx = Fixture.open()) {
            Trainer<Batch> ok = FixtureTraining.trainer(fx, tmp.resolve("nan"), 2, false, 0);
            Path good = ok.fit();
            BlipConfig c = BlipConfig.readHf(fx.require("config.json"));
            BlipDecoder m = new BlipDecoder(c);
            m.requiresGrad(true);
            Trainer.Objective<Batch> bad = (b, s) -> Map.of(
                    "loss",
                    m.encodeImage(T.floats(b.pixels(), b.pixelShape())).sum().mul(T.s(Double.NaN)));
            Trainer<Batch> t = new Trainer<>(
                    m,
                    m.namedParameters(),
                    AdamW.blip(m.namedParameters(), 1e-3, 0.05),
                    bad,
                    FixtureTraining.data(fx),
                    (e, b, n) -> 1e-3,
                    new Trainer.Options(tmp.resolve("nan"), 4, 1234, 1, 2, 2, 0, true, false));
            var e = assertThrows(Trainer.NonFiniteException.class, t::fit);
            assertTrue(
                    e.getMessage().contains("non-finite loss")
                            && e.getMessage().contains(good.getFileName().toString()),
                    e.getMessage());
            assertTrue(Files.exists(good.resolve("model.safetensors")), "last good checkpoint kept");
        }
    }
}

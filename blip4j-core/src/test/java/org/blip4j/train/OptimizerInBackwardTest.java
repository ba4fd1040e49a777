package org.blip4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.blip4j.config.BlipConfig;
import org.blip4j.engine.T;
import org.blip4j.model.BlipDecoder;
import org.blip4j.testutil.Fixture;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The update fused into backward ({@code optimizer_in_backward}) trains the fixture's caption model to bit-identical
 * weights and optimiser state as backward then {@link AdamW#step()}, also with gradient-checkpointed ViT blocks, while
 * holding one or two gradients at a time instead of all of them; a non-finite gradient stops the updates and is named.
 */
class OptimizerInBackwardTest {
    static final int STEPS = 3;

    @TempDir
    Path tmp;

    /** {@link #STEPS} training steps of the fixture's caption model; returns its optimiser. */
    static AdamW train(Fixture fx, BlipDecoder m, boolean fused) throws Exception {
        AdamW opt = AdamW.blip(m.namedParameters(), 1e-3, 0.05);
        for (int s = 0; s < STEPS; s++) {
            try (PointerScope scope = new PointerScope()) {
                if (fused) {
                    opt.beginBackwardStep();
                }
                GradientCheckpointingTest.step(fx, m, true);
                if (fused) {
                    assertNull(opt.finishBackwardStep(), "all gradients finite");
                } else {
                    opt.step();
                    opt.zeroGrad();
                }
            }
        }
        return opt;
    }

    @Test
    void sameWeightsAsStepAfterBackwardWithOneGradientAtATime() throws Exception {
        try (Fixture fx = Fixture.open();
                PointerScope s = new PointerScope()) {
            int layers = Math.max(
                    2, BlipConfig.readHf(fx.require("config.json")).vision().numLayers());
            for (int ckpt : new int[] {0, 1}) {
                BlipDecoder plain = GradientCheckpointingTest.model(fx, layers);
                plain.visualEncoder().gradientCheckpointing(ckpt);
                AdamW want = train(fx, plain, false);
                BlipDecoder fused = GradientCheckpointingTest.model(fx, layers);
                fused.visualEncoder().gradientCheckpointing(ckpt);
                AdamW got = train(fx, fused, true);
                Map<String, Tensor> a = plain.namedParameters();
                int n = 0;
                for (var e : fused.namedParameters().entrySet()) {
                    assertArrayEquals(
                            T.toFloats(a.get(e.getKey())),
                            T.toFloats(e.getValue()),
                            e.getKey() + " after " + STEPS + " steps, " + ckpt + " checkpointed blocks");
                    assertFalse(e.getValue().grad().defined(), e.getKey() + ": gradient dropped after its update");
                    n++;
                }
                for (var e : got.state().entrySet()) {
                    assertArrayEquals(T.toFloats(want.state().get(e.getKey())), T.toFloats(e.getValue()), e.getKey());
                }
                assertEquals(want.stepCount(), got.stepCount());
                // plain backward holds all n gradients at its end; the fused update a handful (a Linear's weight and
                // bias complete in one autograd node)
                assertTrue(
                        got.peakGradientsHeld() <= Math.max(4, n / 20),
                        "gradients held at once: " + got.peakGradientsHeld() + " of " + n);
                got.detachFromBackward();
            }
        }
    }

    @Test
    void aNonFiniteGradientStopsTheUpdatesAndIsNamed() {
        try (PointerScope s = new PointerScope()) {
            Tensor w = T.floats(new float[] {1, 2, 3}, 3);
            Tensor b = T.floats(new float[] {0.5f}, 1);
            w.set_requires_grad(true);
            b.set_requires_grad(true);
            AdamW opt = AdamW.blip(new java.util.LinkedHashMap<>(Map.of("w", w, "b", b)), 0.1, 0.0);
            opt.beginBackwardStep();
            w.mul(T.s(Double.NaN)).sum().add(b.sum()).backward();
            String bad = opt.finishBackwardStep();
            assertEquals("w", bad);
            try (NoGradGuard g = new NoGradGuard()) {
                assertArrayEquals(new float[] {1, 2, 3}, T.toFloats(w), "no update from a NaN gradient");
            }
            opt.detachFromBackward();
            assertThrows(IllegalStateException.class, opt::finishBackwardStep);
        }
    }

    /**
     * Through the Trainer on the fixture's captions (its forward has a PointerScope of its own that closes before
     * backward): checkpointed ViT blocks + the fused update train like plain blocks + backward then step.
     */
    @Test
    void trainerWithCheckpointedBlocksAndTheFusedUpdateMatchesThePlainRun() throws Exception {
        try (Fixture fx = Fixture.open();
                PointerScope s = new PointerScope()) {
            float[] plain = trainFixture(fx, false, "plain");
            float[] fused = trainFixture(fx, true, "fused");
            double worst = 0;
            for (int i = 0; i < plain.length; i++) {
                worst = Math.max(worst, Math.abs(plain[i] - fused[i]) / Math.max(1, Math.abs(plain[i])));
            }
            assertTrue(worst < 1e-5, "weights differ by " + worst);
        }
    }

    float[] trainFixture(Fixture fx, boolean fusedAndCheckpointed, String dir) throws Exception {
        int layers = Math.max(
                2, BlipConfig.readHf(fx.require("config.json")).vision().numLayers());
        BlipDecoder m = GradientCheckpointingTest.model(fx, layers);
        m.visualEncoder().gradientCheckpointing(fusedAndCheckpointed ? 1 : 0);
        AdamW opt = AdamW.blip(m.namedParameters(), 1e-3, 0.05);
        new Trainer<>(
                        m,
                        m.namedParameters(),
                        opt,
                        FixtureTraining.captionObjective(fx, m),
                        FixtureTraining.data(fx),
                        (epoch, batch, per) -> 1e-3,
                        new Trainer.Options(tmp.resolve(dir), 2, 1234, 1, 0, 1, 0, false, false))
                .optimizerInBackward(fusedAndCheckpointed)
                .fit();
        List<Float> all = new java.util.ArrayList<>();
        for (Tensor t : m.namedParameters().values()) {
            assertFalse(fusedAndCheckpointed && t.grad().defined(), "gradients dropped");
            for (float f : T.toFloats(t.detach())) {
                all.add(f);
            }
        }
        float[] out = new float[all.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = all.get(i);
        }
        return out;
    }

    /** The Trainer with the recipe's flag: the same weights as its plain step, and refused with accumulation. */
    @Test
    void trainerFlagTrainsTheSameAndRefusesAccumulation() throws Exception {
        java.util.Random r = new java.util.Random(3);
        int in = GradAccumulationTest.IN;
        int out = GradAccumulationTest.OUT;
        float[] x = GradAccumulationTest.randoms(r, 8 * in);
        float[] y = GradAccumulationTest.randoms(r, 8 * out);
        float[] w0 = GradAccumulationTest.randoms(r, out * in);
        float[] b0 = GradAccumulationTest.randoms(r, out);
        List<GradAccumulationTest.Xy> items = GradAccumulationTest.batches(x, y, 2);
        float[] plain = trainTiny(items, w0, b0, false, 1, "plain");
        float[] fused = trainTiny(items, w0, b0, true, 1, "fused");
        assertArrayEquals(plain, fused, "Trainer with optimizer_in_backward");
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> trainTiny(items, w0, b0, true, 2, "accumulated"));
        assertTrue(e.getMessage().contains("grad_accumulation 2"), e.getMessage());
    }

    float[] trainTiny(
            List<GradAccumulationTest.Xy> items, float[] w0, float[] b0, boolean fused, int accumulation, String dir)
            throws Exception {
        int in = GradAccumulationTest.IN;
        int out = GradAccumulationTest.OUT;
        GradAccumulationTest.Tiny m = new GradAccumulationTest.Tiny();
        try (NoGradGuard g = new NoGradGuard()) {
            m.lin.weight.copy_(T.floats(w0, out, in));
            m.lin.bias.copy_(T.floats(b0, out));
        }
        m.requiresGrad(true);
        AdamW opt = AdamW.blip(m.namedParameters(), 0.05, 0.05);
        Trainer.Objective<GradAccumulationTest.Xy> mse = (xy, s) -> {
            Tensor pred = m.lin.forward(T.floats(xy.x(), xy.rows(), in)); // (rows, OUT)
            Tensor d = pred.sub(T.floats(xy.y(), xy.rows(), out));
            return Map.of("loss", d.mul(d).mean());
        };
        new Trainer<>(
                        m,
                        m.namedParameters(),
                        opt,
                        mse,
                        GradAccumulationTest.data(items),
                        (e, b, p) -> 0.05,
                        new Trainer.Options(tmp.resolve(dir), 2, 1, accumulation, 0, 1, 0, false, false))
                .optimizerInBackward(fused)
                .fit();
        try (NoGradGuard g = new NoGradGuard()) {
            float[] w = T.toFloats(m.lin.weight);
            float[] all = java.util.Arrays.copyOf(w, w.length + out);
            System.arraycopy(T.toFloats(m.lin.bias), 0, all, w.length, out);
            return all;
        }
    }
}

package org.blip4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.blip4j.config.BlipConfig;
import org.blip4j.engine.Bf16Linear;
import org.blip4j.engine.T;
import org.blip4j.model.BlipDecoder;
import org.blip4j.testutil.Fixture;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mixed-precision training ({@code precision: bf16}, {@link Bf16Linear#autocast()}): inside the scope a linear
 * layer's forward and both backward products are the float32 products of bf16-rounded operands (what a bf16 kernel
 * with float32 accumulation computes, then rounded to bf16), the bias and its gradient stay float32, and
 * everything outside the scope is float32 exactly; a few training steps of the fixture's caption model
 * stay within bf16's error of float32's; the recipe key takes float32 or bf16 and refuses anything else.
 */
class Bf16TrainingTest {
    @TempDir
    Path tmp;

    private static Tensor rounded(Tensor t) {
        return t.to(ScalarType.BFloat16).to(ScalarType.Float);
    }

    private static void assertNear(Tensor expected, Tensor got, String what) {
        double scale = expected.abs().max().item_double();
        double err = got.sub(expected).abs().max().item_double();
        assertTrue(err <= 8e-3 * scale, what + " off by " + err + " (scale " + scale + ")");
    }

    @Test
    void forwardAndBackwardProductsAreBf16AndTheBiasStaysFloat32() {
        try (PointerScope s = new PointerScope()) {
            torch.manual_seed(3);
            Tensor x = torch.randn(5, 8, 24).set_requires_grad(true); // (5, 8, in)
            Tensor w = torch.randn(16, 24).set_requires_grad(true); // (out, in)
            Tensor b = torch.randn(16).set_requires_grad(true);
            Tensor g = torch.randn(5, 8, 16); // upstream gradient
            Tensor y;
            assertFalse(Bf16Linear.autocasting());
            try (Bf16Linear.Autocast a = Bf16Linear.autocast()) {
                try (Bf16Linear.Autocast nested = Bf16Linear.autocast()) {
                    assertTrue(Bf16Linear.autocasting());
                }
                assertTrue(Bf16Linear.autocasting(), "closing a nested scope keeps the outer one");
                y = T.linear(x, w, b); // (5, 8, 16)
                y.mul(g).sum().backward();
            }
            assertFalse(Bf16Linear.autocasting());
            Tensor x2 = x.detach().reshape(40, 24);
            Tensor g2 = g.reshape(40, 16);
            assertNear(
                    torch.linear(rounded(x2), rounded(w.detach()), T.opt(null)).add(b.detach()),
                    y.detach().reshape(40, 16),
                    "forward");
            assertNear(rounded(g2).matmul(rounded(w.detach())), x.grad().reshape(40, 24), "input gradient");
            assertNear(rounded(g2).t().matmul(rounded(x2)), w.grad(), "weight gradient");
            assertEquals(0.0, b.grad().sub(g2.sum(0)).abs().max().item_double(), 1e-4, "bias gradient in float32");
            Tensor exact = torch.linear(x.detach(), w.detach(), T.opt(b.detach()));
            assertTrue(y.detach().sub(exact).abs().max().item_double() > 0, "bf16 path was not taken");
            assertEquals(ScalarType.Float, w.grad().scalar_type().intern(), "gradients land on the float32 weight");

            assertEquals(
                    0.0,
                    T.linear(x.detach(), w.detach(), b.detach())
                            .sub(exact)
                            .abs()
                            .max()
                            .item_double(),
                    "outside the scope: float32");
        }
    }

    @Test
    void captionTrainingStepsInBf16StayCloseToFloat32() throws Exception {
        try (Fixture fx = Fixture.open();
                PointerScope s = new PointerScope()) {
            int layers = BlipConfig.readHf(fx.require("config.json")).vision().numLayers();
            double[] f32 = steps(fx, layers, false);
            double[] bf = steps(fx, layers, true);
            for (int i = 0; i < f32.length; i++) {
                double rel = Math.abs(bf[i] - f32[i]) / Math.abs(f32[i]);
                System.out.printf("step %d: loss %.6f float32, %.6f bf16 (relative %.1e)%n", i, f32[i], bf[i], rel);
                assertTrue(rel < 0.02, "step " + i + ": bf16 loss " + bf[i] + " against float32 " + f32[i]);
            }
            assertTrue(bf[bf.length - 1] < bf[0], "bf16 training lowers the loss: " + java.util.Arrays.toString(bf));
            assertTrue(bf[0] != f32[0], "bf16 must change the loss");
        }
    }

    /** Three AdamW steps of the fixture's caption model from a seeded initialisation; the losses. */
    private static double[] steps(Fixture fx, int layers, boolean bf16) throws Exception {
        BlipDecoder m = GradientCheckpointingTest.model(fx, layers);
        AdamW opt = AdamW.blip(m.namedParameters(), 1e-3, 0.05);
        double[] losses = new double[3];
        for (int i = 0; i < losses.length; i++) {
            try (PointerScope step = new PointerScope();
                    Bf16Linear.Autocast a = bf16 ? Bf16Linear.autocast() : null) {
                losses[i] = GradientCheckpointingTest.step(fx, m, true);
                opt.step();
                opt.zeroGrad();
            }
        }
        for (Map.Entry<String, Tensor> e : m.namedParameters().entrySet()) {
            assertEquals(ScalarType.Float, e.getValue().scalar_type().intern(), e.getKey() + " stays float32");
        }
        return losses;
    }

    @Test
    void recipeTakesFloat32OrBf16AndNamesTheFileOtherwise() throws Exception {
        assertFalse(recipe("").bf16());
        assertFalse(recipe("precision: float32\n").bf16());
        assertTrue(recipe("precision: bf16\n").bf16());
        Recipe bad = recipe("precision: fp8\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, bad::bf16);
        assertTrue(
                e.getMessage().contains("precision")
                        && e.getMessage().contains("fp8")
                        && e.getMessage().contains(bad.file().toString()),
                e.getMessage());
    }

    private Recipe recipe(String body) throws Exception {
        Path f = Files.createTempFile(tmp, "recipe", ".yaml");
        Files.writeString(f, "batch_size: 2\n" + body);
        return Recipe.read(f, Map.of());
    }
}

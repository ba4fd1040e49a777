package org.blip4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.blip4j.engine.Bf16Linear;
import org.blip4j.engine.T;
import org.blip4j.image.RgbImage;
import org.blip4j.testutil.Fixture;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AutoGradMode;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

/**
 * Opt-in bf16 inference ({@link org.blip4j.model.Bf16Inference}, {@code --bf16}): a registered weight's product is
 * the float32 product of the bf16-rounded operands (rounded once more to bf16), it runs only for products of at least
 * {@link Bf16Linear#MIN_ROWS} rows without autograd while registered, and a whole model's image features stay within
 * bf16's error of float32's and return to float32 exactly when it is closed.
 */
class Bf16InferenceTest {
    private static Tensor bf16Rounded(Tensor t) {
        return t.to(ScalarType.BFloat16).to(ScalarType.Float);
    }

    /**
     * Expected values from float32 math on the rounded operands (what a bf16 kernel with float32 accumulation
     * computes) — then the output's own bf16 rounding, at most 2⁻⁸ of each value, plus summation order.
     */
    @Test
    void bf16ProductIsTheFloatProductOfRoundedOperandsAndOnlyRunsForManyRowsWithoutGrad() {
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(11);
            Tensor w = torch.randn(48, 80); // (out, in)
            Tensor b = torch.randn(48);
            Tensor x = torch.randn(5, 8, 80); // 40 rows >= MIN_ROWS
            Tensor exactF32 = torch.linear(x, w, T.opt(b)); // (5, 8, 48)
            Tensor expected =
                    torch.linear(bf16Rounded(x), bf16Rounded(w), T.opt(null)).add(b);
            assertFalse(Bf16Linear.isRegistered(w));
            Bf16Linear.register(List.of(w, w)); // registering twice copies once
            try {
                Tensor y = T.linear(x, w, b);
                double scale = expected.abs().max().item_double();
                double err = y.sub(expected).abs().max().item_double();
                assertTrue(err <= 8e-3 * scale, "bf16 product off by " + err + " (scale " + scale + ")");
                assertTrue(y.sub(exactF32).abs().max().item_double() > 0, "bf16 path was not taken");

                Tensor few = x.narrow(0, 0, 1); // 8 rows < MIN_ROWS: float32 as before
                assertEquals(
                        0.0,
                        T.linear(few, w, b)
                                .sub(torch.linear(few, w, T.opt(b)))
                                .abs()
                                .max()
                                .item_double());
                try (AutoGradMode on = new AutoGradMode(true)) {
                    assertEquals(
                            0.0,
                            T.linear(x, w, b).sub(exactF32).abs().max().item_double(),
                            1e-5,
                            "autograd must use float32");
                }
                Bf16Linear.unregister(List.of(w));
                assertTrue(Bf16Linear.isRegistered(w), "one registration is left");
            } finally {
                Bf16Linear.unregister(List.of(w));
            }
            assertFalse(Bf16Linear.isRegistered(w));
            assertEquals(0.0, T.linear(x, w, b).sub(exactF32).abs().max().item_double(), 1e-5);
        }
    }

    /**
     * The fixture's ITM model on enough random images that the ViT's products reach {@link Bf16Linear#MIN_ROWS}
     * rows: image features with {@code useBf16()} are within 3 % (relative L2) of float32's but not equal to them, and
     * identical to float32's again after {@code close()}.
     */
    @Test
    void blipImageFeaturesInBf16StayCloseToFloat32() throws Exception {
        try (Fixture fx = Fixture.open()) {
            Blip blip = Blip.load(fx.require("blip_itm.pth"));
            int tokens = blip.config().vision().numTokens();
            int n = Math.max(1, (2 * Bf16Linear.MIN_ROWS + tokens - 1) / tokens);
            Random rnd = new Random(5);
            List<RgbImage> images = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                byte[] px = new byte[48 * 40 * 3];
                rnd.nextBytes(px);
                images.add(new RgbImage(48, 40, px));
            }
            float[] f32 = flat(blip.imageStates(images));
            blip.useBf16();
            float[] bf = flat(blip.imageStates(images));
            blip.close();
            float[] again = flat(blip.imageStates(images));
            double diff = 0;
            double norm = 0;
            for (int i = 0; i < f32.length; i++) {
                diff += (bf[i] - f32[i]) * (double) (bf[i] - f32[i]);
                norm += f32[i] * (double) f32[i];
            }
            double rel = Math.sqrt(diff / norm);
            System.out.printf("bf16 image features: relative L2 %.2e from float32 (%d images)%n", rel, n);
            assertTrue(rel > 0, "bf16 path was not taken");
            assertTrue(rel < 0.03, "bf16 image features " + rel + " from float32");
            assertTrue(java.util.Arrays.equals(f32, again), "close() must return to float32");
        }
    }

    private static float[] flat(float[][][] a) {
        int n = 0;
        for (float[][] b : a) {
            for (float[] c : b) {
                n += c.length;
            }
        }
        float[] out = new float[n];
        int k = 0;
        for (float[][] b : a) {
            for (float[] c : b) {
                System.arraycopy(c, 0, out, k, c.length);
                k += c.length;
            }
        }
        return out;
    }
}

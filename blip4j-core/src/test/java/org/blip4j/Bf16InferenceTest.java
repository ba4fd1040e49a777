package org.blip4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.blip4j.engine.Bf16Linear;
import org.blip4j.engine.T;
import org.blip4j.image.RgbImage;
import org.blip4j.model.Bf16Inference;
import org.blip4j.testutil.Fixture;
import org.blip4j.testutil.TestImages;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AutoGradMode;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

/**
 * Opt-in bf16 inference ({@link org.blip4j.model.Bf16Inference}, {@code --bf16}): a registered weight's product is
 * the float32 product of the bf16-rounded operands (rounded once more to bf16) for many rows and for a decoding step's
 * few, it runs only without autograd while registered, and a whole model's image features stay within
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
    void bf16ProductIsTheFloatProductOfRoundedOperandsAndOnlyRunsWithoutGrad() {
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(11);
            Tensor w = torch.randn(48, 80); // (out, in)
            Tensor b = torch.randn(48);
            Tensor x = torch.randn(5, 8, 80); // 40 rows
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

                Tensor few = x.narrow(0, 0, 1).narrow(1, 0, 3); // a beam-3 decoding step's 3 rows: bf16 too
                Tensor fewExpected = torch.linear(bf16Rounded(few), bf16Rounded(w), T.opt(null))
                        .add(b);
                double fewErr = T.linear(few, w, b).sub(fewExpected).abs().max().item_double();
                assertTrue(fewErr <= 8e-3 * scale, "3-row bf16 product off by " + fewErr);
                Tensor fewY = T.linear(few, w, b);
                assertEquals(
                        List.of(1L, 3L, 48L), List.of(fewY.size(0), fewY.size(1), fewY.size(2)), "3-row bf16 shape");
                assertEquals(3, fewY.dim());
                assertTrue(
                        T.linear(few, w, b)
                                        .sub(torch.linear(few, w, T.opt(b)))
                                        .abs()
                                        .max()
                                        .item_double()
                                > 0,
                        "3 rows: bf16 path was not taken");
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
     * A rescored weight (an LM head's vocabulary projection): each row's k largest outputs are float32's exactly, the
     * rest bf16's, and the largest per row is float32's largest.
     */
    @Test
    void rescoredProjectionCarriesFloat32TopOutputs() {
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(12);
            int out = 500;
            int in = 64;
            int k = 16;
            Tensor w = torch.randn(out, in); // (out, in)
            Tensor b = torch.randn(out);
            Tensor x = torch.randn(3, 1, in); // (R, 1, in): three beams, one new token each
            Tensor ref = torch.linear(x, w, T.opt(b)).view(3, out); // (3, out) float32
            Bf16Linear.register(List.of(w), List.of(w), k);
            try {
                assertEquals(k, Bf16Linear.rescoreTopOf(w));
                Tensor y2 = T.linear(x, w, b).view(3, out);
                Tensor top = y2.topk(k, 1, true, true).get1(); // (3, k)
                double topErr =
                        y2.gather(1, top).sub(ref.gather(1, top)).abs().max().item_double();
                assertTrue(topErr < 1e-4, "rescored outputs must be float32's: error " + topErr);
                assertTrue(y2.sub(ref).abs().max().item_double() > 1e-4, "outputs outside the top k stay bf16");
                assertTrue(y2.argmax(new org.bytedeco.pytorch.LongOptional(1), false)
                        .equal(ref.argmax(new org.bytedeco.pytorch.LongOptional(1), false)));
            } finally {
                Bf16Linear.unregister(List.of(w));
            }
        }
    }

    /**
     * {@code Bf16Inference.enable} on the fixture's caption model: every linear layer registered but the LM head's
     * transform, the vocabulary projection rescored ({@link Bf16Inference#RESCORE_TOP}); all undone by close().
     */
    @Test
    void captionModelKeepsTheLmTransformFloatAndRescoresTheVocabulary() throws Exception {
        try (Fixture fx = Fixture.open()) {
            org.blip4j.model.BlipDecoder dec = fx.load(
                    new org.blip4j.model.BlipDecoder(org.blip4j.config.BlipConfig.readHf(fx.require("config.json"))),
                    "blip_decoder",
                    "pth");
            Tensor proj =
                    org.blip4j.model.Int8Decoding.vocabularyProjections(dec).get(0);
            int kept = 0;
            try (Bf16Inference h = Bf16Inference.enable(dec)) {
                assertEquals(Bf16Inference.RESCORE_TOP, Bf16Linear.rescoreTopOf(proj));
                for (var e : dec.namedTensors().entrySet()) {
                    if (e.getKey().contains("predictions.transform.dense.weight")) {
                        assertFalse(Bf16Linear.isRegistered(e.getValue()), e.getKey() + " stays float32");
                        kept++;
                    } else if (e.getKey().endsWith("attention.self.query.weight")
                            || e.getKey().endsWith("intermediate.dense.weight")) {
                        assertTrue(Bf16Linear.isRegistered(e.getValue()), e.getKey());
                    }
                }
            }
            assertTrue(kept > 0, "the caption model has an LM head transform");
            assertFalse(Bf16Linear.isRegistered(proj));
        }
    }

    /**
     * The fixture's ITM model on two random images: image features with {@code useBf16()} are within 3 % (relative
     * L2) of float32's but not equal to them, and identical to float32's again after {@code close()}.
     */
    @Test
    void blipImageFeaturesInBf16StayCloseToFloat32() throws Exception {
        try (Fixture fx = Fixture.open()) {
            Blip blip = Blip.load(fx.require("blip_itm.pth"));
            int n = 2;
            List<RgbImage> images = TestImages.random(n, 48, 40, 5);
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

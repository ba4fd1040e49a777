package org.blip4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.blip4j.engine.T;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/**
 * AdamW's decoupled weight decay where it is the dominant, visible effect: with a zero gradient a step is exactly
 * {@code p ← p·(1 − lr·wd)}; with a gradient, two steps follow PyTorch's update written out in double precision, and
 * differ plainly from Adam with L2-coupled decay ({@code g ← g + wd·p}).
 */
class AdamWTest {
    static final double LR = 0.1;
    static final double WD = 0.5;
    static final float[] P0 = {1.0f, -2.0f, 0.5f, 3.0f, -0.25f, 0.0f};

    static Tensor param(float[] v) {
        Tensor p = T.floats(v.clone(), v.length);
        p.set_requires_grad(true);
        return p;
    }

    /** Sets p.grad = g through autograd: d/dp sum(p * g) = g (a zero g gives a defined, zero gradient). */
    static void gradient(Tensor p, float[] g) {
        p.mul(T.floats(g.clone(), g.length)).sum().backward();
    }

    @Test
    void zeroGradientStepIsExactlyTheDecay() {
        Tensor p = param(P0);
        Tensor exempt = param(P0);
        Map<String, Tensor> params = new LinkedHashMap<>();
        params.put("w", p);
        params.put("bias", exempt);
        AdamW opt = new AdamW(params, LR, 0.9, 0.999, 1e-8, WD, name -> !name.equals("bias"));
        float factor = (float) (1 - LR * WD);
        float[] want = P0.clone();
        for (int step = 1; step <= 3; step++) {
            opt.zeroGrad();
            gradient(p, new float[P0.length]);
            gradient(exempt, new float[P0.length]);
            opt.step();
            float[] got = T.toFloats(p.detach());
            for (int i = 0; i < P0.length; i++) {
                want[i] *= factor;
                assertEquals(want[i], got[i], Math.ulp(want[i]) * 2, "step " + step + " element " + i);
            }
            float[] kept = T.toFloats(exempt.detach());
            for (int i = 0; i < P0.length; i++) {
                assertEquals(P0[i], kept[i], 0.0, "a parameter exempt from decay does not move with a zero gradient");
            }
        }
        assertEquals(P0[3] * Math.pow(1 - LR * WD, 3), T.toFloats(p.detach())[3], 1e-6); // 3 · 0.95³
    }

    @Test
    void decayIsDecoupledFromTheGradient() {
        float[] g1 = {0.1f, 0.2f, -0.3f, 0.05f, 1.0f, -0.4f};
        float[] g2 = {-0.2f, 0.1f, 0.3f, 0.5f, -1.0f, 0.2f};
        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-8;
        Tensor p = param(P0);
        AdamW opt = AdamW.blip(Map.of("w", p), LR, WD);
        double maxDiff = 0;
        double minGapToCoupled = Double.MAX_VALUE;
        double[] dec = new double[P0.length];
        double[] cpl = new double[P0.length];
        double[][] m = new double[2][P0.length];
        double[][] v = new double[2][P0.length];
        for (int i = 0; i < P0.length; i++) {
            dec[i] = P0[i];
            cpl[i] = P0[i];
        }
        float[][] grads = {g1, g2};
        for (int t = 1; t <= 2; t++) {
            opt.zeroGrad();
            gradient(p, grads[t - 1]);
            opt.step();
            float[] got = T.toFloats(p.detach());
            double bc1 = 1 - Math.pow(b1, t);
            double bc2 = 1 - Math.pow(b2, t);
            for (int i = 0; i < P0.length; i++) {
                double g = grads[t - 1][i];
                // torch.optim.AdamW (decoupled): p *= 1 - lr·wd, then the Adam step on g
                dec[i] *= 1 - LR * WD;
                m[0][i] = b1 * m[0][i] + (1 - b1) * g;
                v[0][i] = b2 * v[0][i] + (1 - b2) * g * g;
                dec[i] -= LR / bc1 * m[0][i] / (Math.sqrt(v[0][i]) / Math.sqrt(bc2) + eps);
                // torch.optim.Adam(weight_decay=wd) (L2, coupled): the Adam step on g + wd·p
                double gc = g + WD * cpl[i];
                m[1][i] = b1 * m[1][i] + (1 - b1) * gc;
                v[1][i] = b2 * v[1][i] + (1 - b2) * gc * gc;
                cpl[i] -= LR / bc1 * m[1][i] / (Math.sqrt(v[1][i]) / Math.sqrt(bc2) + eps);
                maxDiff = Math.max(maxDiff, Math.abs(got[i] - dec[i]));
                if (P0[i] != 0) { // decay acts on a non-zero weight
                    minGapToCoupled = Math.min(minGapToCoupled, Math.abs(got[i] - cpl[i]));
                }
            }
        }
        System.out.printf("AdamW vs hand decoupled: %.3e; gap to L2-coupled Adam: >= %.3e%n", maxDiff, minGapToCoupled);
        assertTrue(maxDiff <= 1e-6, "AdamW differs from the decoupled update by " + maxDiff);
        assertTrue(minGapToCoupled > 1e-3, "decoupled and coupled decay are not told apart: " + minGapToCoupled);
    }

    @Test
    void scaledParametersStepAsAnOptimizerAtTheScaledRate() {
        float[] g = {0.1f, 0.2f, -0.3f, 0.05f, 1.0f, -0.4f};
        Tensor vit = param(P0);
        Tensor text = param(P0);
        Tensor alone = param(P0);
        Map<String, Tensor> both = new LinkedHashMap<>();
        both.put("visual_encoder.w", vit);
        both.put("text_encoder.w", text);
        AdamW opt = AdamW.blip(both, LR, WD).scaleLearningRate("visual_encoder.", 0.25);
        AdamW ref = AdamW.blip(Map.of("w", alone), LR * 0.25, WD); // torch: a param group with lr × 0.25
        Tensor unscaled = param(P0);
        AdamW plain = AdamW.blip(Map.of("w", unscaled), LR, WD);
        for (int t = 1; t <= 3; t++) {
            for (AdamW o : new AdamW[] {opt, ref, plain}) {
                o.zeroGrad();
            }
            for (Tensor p : new Tensor[] {vit, text, alone, unscaled}) {
                gradient(p, g);
            }
            opt.step();
            ref.step();
            plain.step();
        }
        float[] got = T.toFloats(vit.detach());
        float[] want = T.toFloats(alone.detach());
        float[] full = T.toFloats(text.detach());
        float[] fullWant = T.toFloats(unscaled.detach());
        for (int i = 0; i < P0.length; i++) {
            assertEquals(want[i], got[i], 0.0, "scaled parameter, element " + i);
            assertEquals(fullWant[i], full[i], 0.0, "unscaled parameter, element " + i);
        }
        assertTrue(Math.abs(got[4] - full[4]) > 1e-3, "the scale changed nothing");
    }

    @Test
    void aScaleOfZeroIsRefused() {
        AdamW opt = AdamW.blip(Map.of("visual_encoder.w", param(P0)), LR, WD);
        var e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> opt.scaleLearningRate("visual_encoder.", 0));
        assertTrue(e.getMessage().contains("freeze"), e.getMessage());
    }
}

package org.blip4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.blip4j.engine.MachineLoad;
import org.blip4j.engine.OneDnnLinear;
import org.blip4j.image.RgbImage;
import org.blip4j.testutil.Fixture;
import org.blip4j.testutil.SystemProperty;
import org.blip4j.testutil.TestImages;
import org.junit.jupiter.api.Test;

/**
 * A whole model with every inference product through oneDNN ({@link OneDnnLinear}, thresholds lowered so that the
 * fixture's small layers take it too): image features and ITM logits equal OpenBLAS's to float32 summation order,
 * captions are the same, the weights are packed while the model is open and freed when it closes.
 */
class OneDnnParityTest {
    private static SystemProperty[] everything() {
        return new SystemProperty[] {
            SystemProperty.set(OneDnnLinear.PROPERTY, "onednn"),
            SystemProperty.set("blip4j.gemm.minMacs", "1"),
            SystemProperty.set("blip4j.gemm.minStreamed", "1"),
            SystemProperty.set(MachineLoad.PROPERTY, "false")
        };
    }

    private static void closeAll(SystemProperty[] ps) {
        for (int i = ps.length - 1; i >= 0; i--) {
            ps[i].close();
        }
    }

    private static double relL2(float[][][] a, float[][][] b) {
        double d = 0;
        double n = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                for (int k = 0; k < a[i][j].length; k++) {
                    double e = a[i][j][k] - b[i][j][k];
                    d += e * e;
                    n += (double) a[i][j][k] * a[i][j][k];
                }
            }
        }
        return Math.sqrt(d / n);
    }

    @Test
    void itmFeaturesAndLogitsMatchOpenBlasAndTheCopiesGoWithTheModel() throws Exception {
        List<RgbImage> imgs = TestImages.random(2, 48, 40, 17);
        List<String> texts = List.of("a picture of a dog", "two cats on a sofa", "a red square");
        try (Fixture fx = Fixture.open()) {
            float[][][] blasStates;
            double[] blasLogits;
            try (SystemProperty p = SystemProperty.set(OneDnnLinear.PROPERTY, "openblas");
                    Blip blip = Blip.load(fx.require("blip_itm.pth"))) {
                blasStates = blip.imageStates(imgs);
                blasLogits = blip.itmLogits(imgs.get(0), texts, Blip.MatchToken.ENC);
            }
            long before = OneDnnLinear.packedBytes();
            SystemProperty[] ps = everything();
            try {
                long calls = OneDnnLinear.calls();
                float[][][] states;
                double[] logits;
                try (Blip blip = Blip.load(fx.require("blip_itm.pth"))) {
                    states = blip.imageStates(imgs);
                    logits = blip.itmLogits(imgs.get(0), texts, Blip.MatchToken.ENC);
                    assertTrue(OneDnnLinear.calls() > calls, "oneDNN products were used");
                    assertTrue(OneDnnLinear.packedBytes() > before, "the model's weights were packed");
                }
                assertEquals(before, OneDnnLinear.packedBytes(), "close() frees the packed copies");
                double rel = relL2(blasStates, states);
                assertTrue(rel < 1e-5, "image features " + rel + " from OpenBLAS's");
                for (int i = 0; i < texts.size(); i++) {
                    assertEquals(blasLogits[i], logits[i], 1e-4 * Math.max(1, Math.abs(blasLogits[i])), texts.get(i));
                }
            } finally {
                closeAll(ps);
            }
        }
    }

    @Test
    void captionsAreOpenBlasCaptions() throws Exception {
        List<RgbImage> imgs = TestImages.random(2, 48, 40, 17);
        try (Fixture fx = Fixture.open()) {
            List<String> blas;
            try (SystemProperty p = SystemProperty.set(OneDnnLinear.PROPERTY, "openblas");
                    Blip blip = Blip.load(fx.require("blip_decoder.pth"))) {
                blas = blip.caption(imgs, blip.captionDefaults());
            }
            SystemProperty[] ps = everything();
            try (Blip blip = Blip.load(fx.require("blip_decoder.pth"))) {
                long calls = OneDnnLinear.calls();
                assertEquals(blas, blip.caption(imgs, blip.captionDefaults()));
                assertTrue(OneDnnLinear.calls() > calls, "oneDNN products were used");
            } finally {
                closeAll(ps);
            }
        }
    }
}

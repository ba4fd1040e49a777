package org.blip4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.blip4j.config.BlipConfig;
import org.blip4j.engine.T;
import org.blip4j.model.BlipDecoder;
import org.blip4j.testutil.Fixture;
import org.blip4j.weights.Checkpoints;
import org.blip4j.weights.LoadPolicy;
import org.blip4j.weights.WeightLoader;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/** Dropout (med_config's 0.1) acts only in training mode; inference is deterministic. */
class DropoutTest {
    @Test
    void dropoutOnlyWhileTraining() throws Exception {
        try (Fixture fx = Fixture.open();
                NoGradGuard g = new NoGradGuard()) {
            BlipConfig hf = BlipConfig.readHf(fx.require("config.json"));
            BlipConfig med = BlipConfig.readOriginal(fx.require("med_config.json"), hf.vision(), hf.embedDim());
            assertEquals(
                    fx.manifest().path("med_config").path("hidden_dropout_prob").asDouble(),
                    med.text().hiddenDropout());
            BlipDecoder m = new BlipDecoder(med);
            WeightLoader.load(m, Checkpoints.read(fx.require("blip_decoder.pth")), LoadPolicy.strict(), "decoder");
            Tensor img = m.encodeImage(fx.tensor("input.pixel_values"));
            Tensor ids = fx.tensor("decoder.input_ids");
            Tensor mask = fx.tensor("decoder.attention_mask");
            float[] a = T.toFloats(m.logits(img, ids, mask));
            float[] b = T.toFloats(m.logits(img, ids, mask));
            org.junit.jupiter.api.Assertions.assertArrayEquals(a, b, "eval mode is deterministic");
            fx.assertClose(
                    "decoder.logits (eval mode, med_config dropout 0.1)",
                    "decoder.logits",
                    m.logits(img, ids, mask),
                    1e-4);
            m.train(true);
            float[] c = T.toFloats(m.logits(img, ids, mask));
            m.train(false);
            assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(c), "training mode drops units");
        }
    }
}

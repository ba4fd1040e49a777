package org.blip4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.blip4j.config.BlipConfig;
import org.blip4j.config.TextConfig;
import org.blip4j.engine.T;
import org.blip4j.io.RawTensor;
import org.blip4j.model.BlipNlvr;
import org.blip4j.model.text.NlvrTwinAttention;
import org.blip4j.testutil.Fixture;
import org.blip4j.weights.Checkpoints;
import org.blip4j.weights.LoadPolicy;
import org.blip4j.weights.LoadReport;
import org.blip4j.weights.WeightLoader;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The NLVR2 network has a home for its checkpoint names (self0/self1, dense0/dense1, merge_layer from layer 6) and
 * starts from a pre-trained encoder as blip_nlvr.load_checkpoint does; with identical twins and averaging layers it
 * computes what the single cross-attention encoder computes on the same image twice.
 */
class NlvrLoadTest {
    @Test
    void twinsFromAPretrainedEncoder() throws Exception {
        try (Fixture fx = Fixture.open();
                NoGradGuard g = new NoGradGuard()) {
            BlipConfig c = BlipConfig.readHf(fx.require("config.json"));
            Map<String, RawTensor> itm = WeightLoader.canonical(Checkpoints.read(fx.require("blip_itm.pth")));
            BlipNlvr m = new BlipNlvr(c);
            LoadReport r = WeightLoader.load(
                    m,
                    BlipNlvr.twinned(itm),
                    LoadPolicy.strict()
                            .ignoring("vision_proj\\..*", "text_proj\\..*", "itm_head\\..*", "temp")
                            .allowingMissing("cls_head\\..*", ".*merge_layer.*"),
                    "blip_itm.pth as NLVR2");
            assertTrue(r.ok());
            assertTrue(m.namedTensors().containsKey("text_encoder.encoder.layer.0.crossattention.self1.query.weight"));
            assertTrue(
                    m.namedTensors().containsKey("text_encoder.encoder.layer.0.crossattention.output.dense0.weight"));
            assertTrue(
                    m.namedTensors().keySet().stream().noneMatch(k -> k.contains("merge_layer")),
                    "layers below " + NlvrTwinAttention.FIRST_MERGE_LAYER + " average, no merge layer");
            TextConfig t = c.text();
            TextConfig deep = new TextConfig(
                    t.vocabSize(),
                    t.hiddenSize(),
                    NlvrTwinAttention.FIRST_MERGE_LAYER + 1,
                    t.numHeads(),
                    t.intermediateSize(),
                    t.maxPositions(),
                    t.layerNormEps(),
                    t.encoderWidth(),
                    true,
                    0);
            var deepModel = new BlipNlvr(new BlipConfig(c.vision(), deep, c.embedDim()));
            assertArrayEquals(
                    new long[] {t.hiddenSize(), 2L * t.hiddenSize()},
                    T.shape(deepModel
                            .namedTensors()
                            .get("text_encoder.encoder.layer." + NlvrTwinAttention.FIRST_MERGE_LAYER
                                    + ".crossattention.output.merge_layer.weight")));

            // same image on both sides, identical twins, averaging: the encoder's [ENC] state equals BLIP_ITM's
            Tensor img = m.visualEncoder().forward(fx.tensor("input.pixel_values"));
            Tensor ids = fx.tensor("retrieval.itm_input_ids");
            Tensor mask = fx.tensor("itm.attention_mask");
            org.blip4j.model.BlipItm ref = new org.blip4j.model.BlipItm(c);
            WeightLoader.load(ref, itm, LoadPolicy.strict().ignoring("temp"), "blip_itm.pth");
            Tensor want = ref.textEncoder().forward(ids, mask, org.blip4j.model.text.TextMode.MULTIMODAL, img);
            Tensor got = m.encoderStates(img, img, ids, mask);
            float[] a = T.toFloats(want);
            float[] b = T.toFloats(got);
            double max = 0;
            for (int i = 0; i < a.length; i++) {
                max = Math.max(max, Math.abs(a[i] - b[i]));
            }
            assertEquals(0.0, max, 1e-5);
        }
    }
}

package org.blip4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.blip4j.config.BlipConfig;
import org.blip4j.model.BlipDecoder;
import org.blip4j.testutil.ComparesGoldens;
import org.blip4j.testutil.Fixture;
import org.blip4j.testutil.SystemProperty;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The caption decoder's LM loss gradient for every parameter and two AdamW steps, against the reference's
 * {@code train.decoder.*} goldens (BLIP_Decoder.forward + backward, torch.optim.AdamW), from both weight formats.
 */
@ComparesGoldens
class DecoderTrainingParityTest {
    static final double TOL = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {"pth", "hf"})
    void gradientsAndAdamWStepsMatch(String format) throws Exception {
        try (Fixture fx = Fixture.open()) {
            BlipConfig c = BlipConfig.readHf(fx.require("config.json"));
            BlipDecoder m = fx.load(new BlipDecoder(c), "blip_decoder", format);
            m.requiresGrad(true);
            Map<String, Tensor> params = m.namedParameters();
            Map<String, Tensor> all = m.namedTensors();
            int prompt = fx.manifest()
                    .path("tokenizer")
                    .path("prompt")
                    .path("prompt_length")
                    .asInt();
            Tensor pixels = fx.tensor("input.pixel_values");
            Tensor ids = fx.tensor("decoder.input_ids");
            Tensor mask = fx.tensor("decoder.attention_mask");
            Tensor targets = BlipDecoder.targets(ids, mask, prompt);

            Tensor loss = m.loss(m.encodeImage(pixels), ids, mask, targets);
            fx.assertClose("train.decoder.loss", loss, TOL);
            loss.backward();

            List<String> gradNames = new ArrayList<>();
            fx.manifest().path("tensors").fieldNames().forEachRemaining(k -> {
                if (k.startsWith("train.decoder.grad.")) {
                    gradNames.add(k);
                }
            });
            assertEquals(params.size(), gradNames.size(), "one gradient golden per (deduplicated) parameter");
            double worst = 0;
            for (String g : gradNames) {
                String name = g.substring("train.decoder.grad.".length());
                Tensor p = all.get(name);
                assertNotNull(p, "model has no parameter " + name);
                assertTrue(p.grad().defined(), name + " has no gradient");
                worst = Math.max(worst, fx.assertClose("grad " + name, g, p.grad(), TOL));
            }
            System.out.printf(
                    "PARITY %-58s max|diff| = %.3e over %d tensors%n", "train.decoder.grad.*", worst, gradNames.size());

            JsonNode a = fx.manifest().path("training").path("adamw");
            AdamW opt = AdamW.blip(
                    params, a.path("lr").asDouble(), a.path("weight_decay").asDouble());
            opt.step();
            checkSaved(fx, all, "train.decoder.adamw1.");
            opt.zeroGrad();
            try (PointerScope s = new PointerScope()) {
                Tensor loss2 = m.loss(m.encodeImage(pixels), ids, mask, targets);
                fx.assertClose("train.decoder.loss_step2", loss2, TOL);
                loss2.backward();
            }
            opt.step();
            checkSaved(fx, all, "train.decoder.adamw2.");
        }
    }

    /**
     * The same with every product that has autograd through oneDNN's 1×1 convolutions ({@link
     * org.blip4j.engine.OneDnnLinear#forwardTrainable}, thresholds lowered so the fixture's small layers take it).
     */
    @Test
    void gradientsAndAdamWStepsMatchWithEveryTrainingProductThroughOneDnn() throws Exception {
        try (SystemProperty gemm = SystemProperty.set(org.blip4j.engine.OneDnnLinear.PROPERTY, "onednn");
                SystemProperty macs = SystemProperty.set("blip4j.gemm.minTrainMacs", "1");
                SystemProperty split = SystemProperty.set("blip4j.gemm.minSplitTrainMacs", "1");
                SystemProperty rows = SystemProperty.set("blip4j.gemm.minTrainRows", "1");
                SystemProperty calm = SystemProperty.set(org.blip4j.engine.MachineLoad.PROPERTY, "false")) {
            long before = org.blip4j.engine.OneDnnLinear.trainingCalls();
            gradientsAndAdamWStepsMatch("pth");
            assertTrue(org.blip4j.engine.OneDnnLinear.trainingCalls() > before, "the products took the path");
        }
    }

    private static void checkSaved(Fixture fx, Map<String, Tensor> all, String prefix) {
        List<String> names = new ArrayList<>();
        fx.manifest().path("tensors").fieldNames().forEachRemaining(k -> {
            if (k.startsWith(prefix)) {
                names.add(k);
            }
        });
        assertTrue(!names.isEmpty(), "no " + prefix + " goldens");
        for (String g : names) {
            fx.assertClose(g, g, all.get(g.substring(prefix.length())), TOL);
        }
    }
}

package org.blip4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.blip4j.config.BlipConfig;
import org.blip4j.engine.T;
import org.blip4j.model.BlipDecoder;
import org.blip4j.testutil.Fixture;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * ViT gradient checkpointing ({@code vit_grad_ckpt}, {@code vit_ckpt_layer}) gives the loss and every gradient of the
 * plain backward pass, with stochastic depth on (the recompute replays the same drop-path draws).
 */
class GradientCheckpointingTest {
    static BlipDecoder model(Fixture fx, int layers) throws Exception {
        BlipConfig f = BlipConfig.readHf(fx.require("config.json"));
        var v = f.vision();
        BlipConfig c = new BlipConfig(
                new org.blip4j.config.VisionConfig(
                        v.imageSize(),
                        v.patchSize(),
                        v.hiddenSize(),
                        layers,
                        v.numHeads(),
                        v.intermediateSize(),
                        v.layerNormEps(),
                        0.3,
                        v.hiddenAct(),
                        org.blip4j.config.VisionConfig.PlaceAtOutput.NONE),
                f.text(),
                f.embedDim());
        BlipDecoder m = new BlipDecoder(c);
        Init.blip(m, 5, 0.02);
        m.requiresGrad(true);
        m.train(true);
        return m;
    }

    /** Loss of one forward + backward with torch seeded identically; gradients stay on the parameters. */
    static double step(Fixture fx, BlipDecoder m, boolean finish) throws Exception {
        int prompt = fx.manifest()
                .path("tokenizer")
                .path("prompt")
                .path("prompt_length")
                .asInt();
        Tensor ids = fx.tensor("decoder.input_ids");
        Tensor mask = fx.tensor("decoder.attention_mask");
        torch.manual_seed(7);
        Tensor loss = m.loss(
                m.encodeImage(fx.tensor("input.pixel_values")), ids, mask, BlipDecoder.targets(ids, mask, prompt));
        loss.backward();
        if (finish) {
            org.blip4j.nn.DeferredBackward.finishAll(m);
        }
        return T.toFloats(loss.detach())[0];
    }

    @Test
    void checkpointedBlocksGiveTheSameLossAndGradients() throws Exception {
        try (Fixture fx = Fixture.open();
                PointerScope s = new PointerScope()) {
            int layers = Math.max(
                    3, BlipConfig.readHf(fx.require("config.json")).vision().numLayers());
            BlipDecoder plain = model(fx, layers);
            double expected = step(fx, plain, false);
            Map<String, Tensor> want = plain.namedParameters();
            for (int ckpt : new int[] {layers - 1, layers
            }) { // the first block's input comes from the graph, or is the embedding
                BlipDecoder m = model(fx, layers);
                m.visualEncoder().gradientCheckpointing(ckpt);
                assertEquals(expected, step(fx, m, true), 1e-6, "loss, " + ckpt + " checkpointed blocks");
                for (Map.Entry<String, Tensor> e : m.namedParameters().entrySet()) {
                    float[] a = T.toFloats(want.get(e.getKey()).grad());
                    float[] b = T.toFloats(e.getValue().grad());
                    for (int i = 0; i < a.length; i++) {
                        assertEquals(
                                a[i],
                                b[i],
                                1e-5 * Math.max(1, Math.abs(a[i])),
                                e.getKey() + "[" + i + "], " + ckpt + " checkpointed blocks");
                    }
                }
            }
        }
    }

    @Test
    void theLastBlocksWaitForFinishBackward() throws Exception {
        try (Fixture fx = Fixture.open();
                PointerScope s = new PointerScope()) {
            BlipDecoder m = model(fx, 3);
            m.visualEncoder().gradientCheckpointing(1);
            step(fx, m, false);
            String last = "visual_encoder.blocks.2.mlp.fc1.weight";
            assertFalse(m.namedParameters().get(last).grad().defined(), "deferred until finishBackward");
            org.blip4j.nn.DeferredBackward.finishAll(m);
            assertFalse(!m.namedParameters().get(last).grad().defined(), "computed by finishBackward");
            assertThrows(IllegalArgumentException.class, () -> m.visualEncoder().gradientCheckpointing(-1));
        }
    }
}

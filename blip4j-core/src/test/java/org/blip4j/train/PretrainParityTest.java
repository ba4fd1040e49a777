package org.blip4j.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.blip4j.config.BlipConfig;
import org.blip4j.engine.T;
import org.blip4j.model.BlipPretrain;
import org.blip4j.testutil.ComparesGoldens;
import org.blip4j.testutil.Fixture;
import org.blip4j.weights.Checkpoints;
import org.blip4j.weights.LoadPolicy;
import org.blip4j.weights.WeightLoader;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/**
 * One BLIP_Pretrain step against the reference's {@code train.pretrain.*} goldens: temperature clamp, momentum
 * update, ITC with queues and soft targets, replayed ITM negatives, LM, queue state and gradients.
 */
@ComparesGoldens
class PretrainParityTest {
    static final double TOL = 1e-4;

    @Test
    void pretrainingStepMatches() throws Exception {
        try (Fixture fx = Fixture.open()) {
            JsonNode tr = fx.manifest().path("training");
            JsonNode pre = tr.path("pretrain");
            BlipConfig c = BlipConfig.readHf(fx.require("config.json"));
            BlipConfig cfg =
                    new BlipConfig(c.vision(), c.text(), pre.path("embed_dim").asInt(c.embedDim()));
            BlipPretrain m = new BlipPretrain(
                    cfg, pre.path("queue_size").asInt(), pre.path("momentum").asDouble());
            WeightLoader.load(
                    m, Checkpoints.read(fx.require(pre.path("pth").asText())), LoadPolicy.strict(), "pretrain");
            Map<String, Tensor> trainable = m.trainableParameters();
            trainable.values().forEach(t -> t.set_requires_grad(true));
            JsonNode sp = fx.manifest().path("tokenizer").path("special_ids");
            NegativeSampler replay = NegativeSampler.replay(concat(
                    fx.golden("train.pretrain.neg_image_idx").toLongs(),
                    fx.golden("train.pretrain.neg_text_idx").toLongs()));

            BlipPretrain.Losses l = m.forward(
                    fx.tensor("input.pixel_values"),
                    fx.tensor("train.pretrain.input_ids"),
                    fx.tensor("train.pretrain.attention_mask"),
                    tr.path("alpha").asDouble(),
                    sp.path("enc_ENC").asLong(),
                    sp.path("bos_DEC").asLong(),
                    replay);

            fx.assertClose("train.pretrain.temp", m.temp(), 1e-7);
            fx.assertClose("train.pretrain.vision_proj_out", l.visionProjOut(), TOL);
            fx.assertClose("train.pretrain.text_proj_out", l.textProjOut(), TOL);
            fx.assertClose(
                    "train.pretrain.weights_t2i",
                    "train.pretrain.weights_t2i",
                    T.floats(flat(l.weightsT2i()), l.weightsT2i().length, l.weightsT2i().length),
                    1e-5);
            fx.assertClose(
                    "train.pretrain.weights_i2t",
                    "train.pretrain.weights_i2t",
                    T.floats(flat(l.weightsI2t()), l.weightsI2t().length, l.weightsI2t().length),
                    1e-5);
            fx.assertClose("train.pretrain.loss_ita", l.ita(), TOL);
            fx.assertClose("train.pretrain.itm_logits", l.itmLogits(), TOL);
            fx.assertClose("train.pretrain.loss_itm", l.itm(), TOL);
            fx.assertClose("train.pretrain.loss_lm", l.lm(), TOL);
            Map<String, Tensor> all = m.namedTensors();
            fx.assertClose("train.pretrain.image_queue", all.get("image_queue"), 1e-5);
            fx.assertClose("train.pretrain.text_queue", all.get("text_queue"), 1e-5);
            fx.assertIds("train.pretrain.queue_ptr", "train.pretrain.queue_ptr", T.toLongs(all.get("queue_ptr")));
            forEachGolden(
                    fx, "train.pretrain.momentum.", (golden, name) -> fx.assertClose(golden, all.get(name), 1e-6));

            l.total().backward();
            forEachGolden(fx, "train.pretrain.grad.", (golden, name) -> {
                Tensor p = all.get(name);
                assertTrue(p.grad().defined(), name + " has no gradient");
                fx.assertClose(golden, p.grad(), TOL);
            });
        }
    }

    static void forEachGolden(Fixture fx, String prefix, java.util.function.BiConsumer<String, String> check) {
        int[] n = {0};
        fx.manifest().path("tensors").fieldNames().forEachRemaining(k -> {
            if (k.startsWith(prefix)) {
                check.accept(k, k.substring(prefix.length()));
                n[0]++;
            }
        });
        assertTrue(n[0] > 0, "no goldens named " + prefix + "*");
    }

    static long[] concat(long[] a, long[] b) {
        long[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    static float[] flat(float[][] a) {
        float[] r = new float[a.length * a[0].length];
        for (int i = 0; i < a.length; i++) {
            System.arraycopy(a[i], 0, r, i * a[0].length, a[i].length);
        }
        return r;
    }
}

package org.blip4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import org.blip4j.config.BlipConfig;
import org.blip4j.engine.T;
import org.blip4j.io.RawTensor;
import org.blip4j.model.BlipRetrieval;
import org.blip4j.model.NegativeSampler;
import org.blip4j.model.TextNegatives;
import org.blip4j.testutil.ComparesGoldens;
import org.blip4j.testutil.Fixture;
import org.blip4j.weights.Checkpoints;
import org.blip4j.weights.LoadPolicy;
import org.blip4j.weights.WeightLoader;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/** One BLIP_Retrieval fine-tuning step (same-id positives, id queue, masked negatives) against train.retrieval.*. */
@ComparesGoldens
class RetrievalTrainingParityTest {
    static final double TOL = 1e-4;
    static final String[] QUEUES = {"image_queue", "text_queue", "idx_queue", "ptr_queue"};

    @Test
    void retrievalStepMatches() throws Exception {
        try (Fixture fx = Fixture.open()) {
            JsonNode tr = fx.manifest().path("training");
            JsonNode ret = tr.path("retrieval");
            BlipConfig c = BlipConfig.readHf(fx.require("config.json"));
            BlipRetrieval m = new BlipRetrieval(
                    c,
                    ret.path("queue_size").asInt(),
                    tr.path("pretrain").path("momentum").asDouble(0.995));
            // the checkpoint's queues are replaced by the recorded mid-training state of another size
            Map<String, RawTensor> sd = new LinkedHashMap<>(Checkpoints.read(fx.require("blip_retrieval.pth")));
            for (String q : QUEUES) {
                sd.put(q, fx.golden("train.retrieval." + q + "_init"));
            }
            WeightLoader.load(m, sd, LoadPolicy.strict(), "blip_retrieval.pth + train.retrieval.*_init");
            m.trainableParameters().values().forEach(t -> t.set_requires_grad(true));
            long[] idxValues = new long[ret.path("idx").size()];
            for (int i = 0; i < idxValues.length; i++) {
                idxValues[i] = ret.path("idx").get(i).asLong();
            }
            NegativeSampler replay = NegativeSampler.replay(PretrainParityTest.concat(
                    fx.golden("train.retrieval.neg_image_idx").toLongs(),
                    fx.golden("train.retrieval.neg_text_idx").toLongs()));
            long enc = fx.manifest()
                    .path("tokenizer")
                    .path("special_ids")
                    .path("enc_ENC")
                    .asLong();

            BlipRetrieval.Losses l = m.forward(
                    fx.tensor("input.pixel_values"),
                    fx.tensor("itm.input_ids"),
                    fx.tensor("itm.attention_mask"),
                    T.longs(idxValues, idxValues.length),
                    tr.path("alpha").asDouble(),
                    enc,
                    replay);
            int b = l.weightsT2i().length;
            fx.assertClose(
                    "train.retrieval.weights_t2i",
                    "train.retrieval.weights_t2i",
                    T.floats(PretrainParityTest.flat(l.weightsT2i()), b, b),
                    1e-5);
            fx.assertClose(
                    "train.retrieval.weights_i2t",
                    "train.retrieval.weights_i2t",
                    T.floats(PretrainParityTest.flat(l.weightsI2t()), b, b),
                    1e-5);
            fx.assertClose("train.retrieval.loss_ita", l.ita(), TOL);
            fx.assertClose("train.retrieval.itm_logits", l.itmLogits(), TOL);
            fx.assertClose("train.retrieval.loss_itm", l.itm(), TOL);
            Map<String, Tensor> all = m.namedTensors();
            fx.assertClose("train.retrieval.image_queue", all.get("image_queue"), 1e-5);
            fx.assertClose("train.retrieval.text_queue", all.get("text_queue"), 1e-5);
            fx.assertIds("train.retrieval.idx_queue", "train.retrieval.idx_queue", T.toLongs(all.get("idx_queue")));
            fx.assertIds("train.retrieval.ptr_queue", "train.retrieval.ptr_queue", T.toLongs(all.get("ptr_queue")));
            l.total().backward();
            PretrainParityTest.forEachGolden(fx, "train.retrieval.grad.", (golden, name) -> {
                assertTrue(all.get(name).grad().defined(), name + " has no gradient");
                fx.assertClose(golden, all.get(name).grad(), TOL);
            });
            try (NoGradGuard g = new NoGradGuard()) {
                assertTrue(T.toFloats(m.temp())[0] > 0);
            }
        }
    }

    /**
     * Known-false texts replace the mined text negatives row by row: given the very texts the reference drew (padded
     * longer, pads masked) for every other image, the step is the reference's; given image i's own caption, ITM's
     * negative row for image i scores exactly its positive pair.
     */
    @Test
    void hardTextNegativesReplaceTheMinedOnes() throws Exception {
        try (Fixture fx = Fixture.open()) {
            JsonNode tr = fx.manifest().path("training");
            JsonNode ret = tr.path("retrieval");
            BlipConfig c = BlipConfig.readHf(fx.require("config.json"));
            long enc = fx.manifest()
                    .path("tokenizer")
                    .path("special_ids")
                    .path("enc_ENC")
                    .asLong();
            long[] idxValues = new long[ret.path("idx").size()];
            for (int i = 0; i < idxValues.length; i++) {
                idxValues[i] = ret.path("idx").get(i).asLong();
            }
            long[] negText = fx.golden("train.retrieval.neg_text_idx").toLongs();
            Tensor ids = fx.tensor("itm.input_ids");
            Tensor mask = fx.tensor("itm.attention_mask");
            int b = (int) ids.size(0);
            Tensor encIds = ids.clone();
            encIds.select(1, 0).fill_(T.s(enc));
            Tensor pad = torch.zeros(new long[] {b, 3}, ids.options());
            boolean[] alternate = new boolean[b];
            for (int i = 0; i < b; i += 2) {
                alternate[i] = true;
            }
            Tensor drawn = T.longs(negText, b);
            TextNegatives same = new TextNegatives(
                    T.cat(1, encIds.index_select(0, drawn), pad),
                    T.cat(1, mask.index_select(0, drawn), pad),
                    alternate);
            BlipRetrieval.Losses l = step(fx, c, ret, tr, idxValues, enc, same);
            fx.assertClose("train.retrieval.itm_logits", l.itmLogits(), TOL);
            fx.assertClose("train.retrieval.loss_itm", l.itm(), TOL);

            boolean[] all = new boolean[b];
            java.util.Arrays.fill(all, true);
            BlipRetrieval.Losses own = step(fx, c, ret, tr, idxValues, enc, new TextNegatives(encIds, mask, all));
            float[][] logits = T.toRows(own.itmLogits()); // (3B, 2): positives, negative images, negative texts
            assertEquals(3 * b, logits.length);
            for (int i = 0; i < b; i++) {
                for (int k = 0; k < 2; k++) {
                    assertEquals(logits[i][k], logits[2 * b + i][k], 1e-4, "image " + i + " with its own caption");
                }
            }
        }
    }

    private static BlipRetrieval.Losses step(
            Fixture fx, BlipConfig c, JsonNode ret, JsonNode tr, long[] idxValues, long enc, TextNegatives hard)
            throws Exception {
        BlipRetrieval m = new BlipRetrieval(
                c,
                ret.path("queue_size").asInt(),
                tr.path("pretrain").path("momentum").asDouble(0.995));
        Map<String, RawTensor> sd = new LinkedHashMap<>(Checkpoints.read(fx.require("blip_retrieval.pth")));
        for (String q : QUEUES) {
            sd.put(q, fx.golden("train.retrieval." + q + "_init"));
        }
        WeightLoader.load(m, sd, LoadPolicy.strict(), "blip_retrieval.pth + train.retrieval.*_init");
        NegativeSampler replay = NegativeSampler.replay(PretrainParityTest.concat(
                fx.golden("train.retrieval.neg_image_idx").toLongs(),
                fx.golden("train.retrieval.neg_text_idx").toLongs()));
        try (NoGradGuard g = new NoGradGuard()) {
            return m.forward(
                    fx.tensor("input.pixel_values"),
                    fx.tensor("itm.input_ids"),
                    fx.tensor("itm.attention_mask"),
                    T.longs(idxValues, idxValues.length),
                    tr.path("alpha").asDouble(),
                    enc,
                    replay,
                    hard);
        }
    }
}

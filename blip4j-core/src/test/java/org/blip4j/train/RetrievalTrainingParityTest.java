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

    /** The fixture's retrieval model with the recorded mid-training queues (of another size than the checkpoint's). */
    private static BlipRetrieval model(Fixture fx) throws Exception {
        JsonNode tr = fx.manifest().path("training");
        BlipRetrieval m = new BlipRetrieval(
                BlipConfig.readHf(fx.require("config.json")),
                tr.path("retrieval").path("queue_size").asInt(),
                tr.path("pretrain").path("momentum").asDouble(0.995));
        Map<String, RawTensor> sd = new LinkedHashMap<>(Checkpoints.read(fx.require("blip_retrieval.pth")));
        for (String q : QUEUES) {
            sd.put(q, fx.golden("train.retrieval." + q + "_init"));
        }
        WeightLoader.load(m, sd, LoadPolicy.strict(), "blip_retrieval.pth + train.retrieval.*_init");
        return m;
    }

    /** One recorded step's forward: the fixture's batch, image ids, alpha and negative draws; {@code hard} or null. */
    private static BlipRetrieval.Losses step(Fixture fx, BlipRetrieval m, TextNegatives hard) throws Exception {
        JsonNode tr = fx.manifest().path("training");
        JsonNode idx = tr.path("retrieval").path("idx");
        long[] idxValues = new long[idx.size()];
        for (int i = 0; i < idxValues.length; i++) {
            idxValues[i] = idx.get(i).asLong();
        }
        NegativeSampler replay = NegativeSampler.replay(PretrainParityTest.concat(
                fx.golden("train.retrieval.neg_image_idx").toLongs(),
                fx.golden("train.retrieval.neg_text_idx").toLongs()));
        return m.forward(
                fx.tensor("input.pixel_values"),
                fx.tensor("itm.input_ids"),
                fx.tensor("itm.attention_mask"),
                T.longs(idxValues, idxValues.length),
                tr.path("alpha").asDouble(),
                enc(fx),
                replay,
                hard);
    }

    private static long enc(Fixture fx) {
        return fx.manifest()
                .path("tokenizer")
                .path("special_ids")
                .path("enc_ENC")
                .asLong();
    }

    @Test
    void retrievalStepMatches() throws Exception {
        try (Fixture fx = Fixture.open()) {
            BlipRetrieval m = model(fx);
            m.trainableParameters().values().forEach(t -> t.set_requires_grad(true));
            BlipRetrieval.Losses l = step(fx, m, null);
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
        try (Fixture fx = Fixture.open();
                NoGradGuard g = new NoGradGuard()) {
            long[] negText = fx.golden("train.retrieval.neg_text_idx").toLongs();
            Tensor ids = fx.tensor("itm.input_ids");
            Tensor mask = fx.tensor("itm.attention_mask");
            int b = (int) ids.size(0);
            Tensor encIds = ids.clone();
            encIds.select(1, 0).fill_(T.s(enc(fx)));
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
            BlipRetrieval.Losses l = step(fx, model(fx), same);
            fx.assertClose("train.retrieval.itm_logits", l.itmLogits(), TOL);
            fx.assertClose("train.retrieval.loss_itm", l.itm(), TOL);

            boolean[] all = new boolean[b];
            java.util.Arrays.fill(all, true);
            BlipRetrieval.Losses own = step(fx, model(fx), new TextNegatives(encIds, mask, all));
            float[][] logits = T.toRows(own.itmLogits()); // (3B, 2): positives, negative images, negative texts
            assertEquals(3 * b, logits.length);
            for (int i = 0; i < b; i++) {
                for (int k = 0; k < 2; k++) {
                    assertEquals(logits[i][k], logits[2 * b + i][k], 1e-4, "image " + i + " with its own caption");
                }
            }
        }
    }
}

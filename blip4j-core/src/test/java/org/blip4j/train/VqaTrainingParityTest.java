package org.blip4j.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.blip4j.config.BlipConfig;
import org.blip4j.engine.T;
import org.blip4j.model.BlipVqa;
import org.blip4j.testutil.ComparesGoldens;
import org.blip4j.testutil.Fixture;
import org.blip4j.text.BertTokenizer;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * BLIP_VQA's weighted answer loss and its gradients against train.vqa.* (answers tokenized by our tokenizer), from
 * both weight formats.
 */
@ComparesGoldens
class VqaTrainingParityTest {
    @ParameterizedTest
    @ValueSource(strings = {"pth", "hf"})
    void vqaLossMatches(String format) throws Exception {
        try (Fixture fx = Fixture.open()) {
            JsonNode v = fx.manifest().path("training").path("vqa");
            BlipConfig c = BlipConfig.readHf(fx.require("config.json"));
            BlipVqa m = fx.load(new BlipVqa(c), "blip_vqa", format);
            m.requiresGrad(true);
            BertTokenizer tok = BertTokenizer.fromVocab(fx.require("vocab.txt"));
            List<String> answers = new ArrayList<>();
            v.path("answers").forEach(a -> answers.add(a.asText()));
            BertTokenizer.Encoding enc = tok.encode(answers, Integer.MAX_VALUE, BertTokenizer.Padding.LONGEST);
            for (long[] row : enc.ids()) {
                row[0] = tok.bosId();
            }
            fx.assertIds(
                    "train.vqa.answer_input_ids",
                    "train.vqa.answer_input_ids",
                    java.util.Arrays.stream(enc.ids())
                            .flatMapToLong(java.util.Arrays::stream)
                            .toArray());
            long[] n = new long[v.path("n").size()];
            for (int i = 0; i < n.length; i++) {
                n[i] = v.path("n").get(i).asLong();
            }
            float[] w = new float[v.path("weights").size()];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) v.path("weights").get(i).asDouble();
            }
            Tensor qids = fx.tensor("vqa.question_input_ids");
            BlipVqa.TrainLoss l = m.trainLoss(
                    fx.tensor("input.pixel_values").narrow(0, 0, qids.size(0)),
                    qids,
                    fx.tensor("vqa.question_attention_mask"),
                    T.longs(enc.ids()),
                    T.longs(enc.attentionMask()),
                    n,
                    T.floats(w, w.length));
            fx.assertClose("train.vqa.answer_loss", l.answerLoss(), 1e-4);
            fx.assertClose("train.vqa.loss", l.loss(), 1e-4);
            l.loss().backward();
            Map<String, Tensor> all = m.namedTensors();
            PretrainParityTest.forEachGolden(fx, "train.vqa.grad.", (golden, name) -> {
                assertTrue(all.get(name).grad().defined(), name + " has no gradient");
                fx.assertClose(golden, all.get(name).grad(), 1e-4);
            });
        }
    }
}

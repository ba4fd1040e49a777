package org.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.blip4j.io.RawTensor;
import org.blip4j.io.SafeTensors;
import org.junit.jupiter.api.Test;

/** {@code blip4j vqa} and {@code blip4j itm} reproduce the reference's answers, ITM probabilities and ITC similarities. */
class CliVqaItmTest {
    static final CliFixture FX = CliFixture.get();
    static final double PROB_TOL = 1e-5;

    /**
     * Question i about image i answers texts.vqa[i]. The reference answered all questions in one padded batch and its
     * answer decoder attends to the padding, so a question shorter than the batch's longest has a batch-dependent
     * answer that a one-question run cannot (and should not) reproduce; those rows are checked in BlipApiTest through
     * the batch API. Here every unpadded row is checked.
     */
    @Test
    void answersMatchTheReferenceForUnpaddedQuestions() throws IOException {
        List<Path> images = FX.images();
        List<String> questions = FX.strings("preset_config", "questions");
        List<String> expected = FX.texts("vqa");
        assertEquals(questions.size(), expected.size(), "one reference answer per question");
        RawTensor mask;
        try (SafeTensors g = SafeTensors.open(FX.file("goldens.safetensors"))) {
            mask = g.get("vqa.question_attention_mask");
        }
        long[] m = mask.toLongs();
        int width = (int) mask.shape()[1];
        int checked = 0;
        for (int i = 0; i < questions.size(); i++) {
            boolean padded = false;
            for (int j = 0; j < width; j++) {
                padded |= m[i * width + j] == 0;
            }
            if (padded) {
                continue;
            }
            CliFixture.Run r = CliFixture.run(
                            "vqa",
                            "--model",
                            FX.file("blip_vqa.pth").toString(),
                            images.get(i).toString(),
                            "--question",
                            questions.get(i))
                    .expect(0);
            assertEquals(List.of(expected.get(i)), r.outLines(), "answer to '" + questions.get(i) + "'");
            checked++;
        }
        assertTrue(checked > 0, "no unpadded question in the fixture");
    }

    @Test
    void vqaJsonRecordsCarryImageQuestionAndAnswer() {
        List<Path> images = FX.images();
        List<String> questions = FX.strings("preset_config", "questions");
        CliFixture.Run r = CliFixture.run(
                        "vqa",
                        "--json",
                        "-m",
                        FX.file("blip_vqa.hf.safetensors").toString(),
                        images.get(0).toString(),
                        "-q",
                        questions.get(0))
                .expect(0);
        JsonNode row = CliFixture.json(r.outLines().get(0));
        assertEquals(images.get(0).toString(), row.get("image").asText());
        assertEquals(questions.get(0), row.get("question").asText());
        assertNotNull(row.get("answer"));
    }

    @Test
    void itmAndItcScoresMatchTheGoldens() throws IOException {
        List<Path> images = FX.images();
        List<String> captions = FX.strings("preset_config", "captions");
        float[] prob;
        float[] sim;
        try (SafeTensors g = SafeTensors.open(FX.file("goldens.safetensors"))) {
            prob = g.get("itm.prob_match").toFloats();
            sim = g.get("itc.sim").toFloats();
        }
        assertEquals(images.size() * captions.size(), prob.length, "itm.prob_match is [images, captions]");
        List<String> args = new ArrayList<>(
                List.of("itm", "--json", "-m", FX.file("blip_itm.pth").toString()));
        images.forEach(p -> args.add(p.toString()));
        captions.forEach(c -> {
            args.add("-t");
            args.add(c);
        });
        CliFixture.Run r = CliFixture.run(args).expect(0);
        Map<String, JsonNode> rows = new HashMap<>();
        for (String line : r.outLines()) {
            JsonNode row = CliFixture.json(line);
            rows.put(row.get("image").asText() + "\n" + row.get("text").asText(), row);
        }
        assertEquals(images.size() * captions.size(), rows.size(), r.out());
        for (int i = 0; i < images.size(); i++) {
            for (int j = 0; j < captions.size(); j++) {
                JsonNode row = rows.get(images.get(i) + "\n" + captions.get(j));
                assertNotNull(row, "no record for image " + i + ", caption " + j);
                int k = i * captions.size() + j;
                assertEquals(prob[k], row.get("itm").asDouble(), PROB_TOL, "itm[" + i + "][" + j + "]");
                assertEquals(sim[k], row.get("itc").asDouble(), PROB_TOL, "itc[" + i + "][" + j + "]");
            }
        }
    }

    @Test
    void itmTextModePrintsOneLinePerImageAndText() {
        List<Path> images = FX.images();
        List<String> captions = FX.strings("preset_config", "captions");
        CliFixture.Run r = CliFixture.run(
                        "itm",
                        "-m",
                        FX.file("blip_itm.hf.safetensors").toString(),
                        images.get(0).toString(),
                        "-t",
                        captions.get(0))
                .expect(0);
        List<String> lines = r.outLines();
        assertEquals(1, lines.size(), r.out());
        assertTrue(lines.get(0).startsWith(images.get(0) + "\titm="), lines.get(0));
        assertTrue(lines.get(0).endsWith("\t" + captions.get(0)), lines.get(0));
    }
}

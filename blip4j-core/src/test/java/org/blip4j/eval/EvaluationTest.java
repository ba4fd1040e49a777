package org.blip4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.blip4j.Blip;
import org.blip4j.generate.GenerationConfig;
import org.blip4j.image.RgbImage;
import org.blip4j.testutil.Fixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The evaluation pipelines against metrics computed from the reference's own scores and captions. */
class EvaluationTest {
    @TempDir
    Path tmp;

    @Test
    void retrievalEvaluationEqualsItmEvalOfTheReferenceScores() throws Exception {
        try (Fixture fx = Fixture.open();
                Blip blip = Blip.load(fx.require("blip_retrieval.pth"))) {
            var images = fx.manifest().path("preset_config").path("images");
            var captions = fx.manifest().path("preset_config").path("captions");
            int n = Math.min(images.size(), captions.size());
            Path file = onePairPerImage(fx, n);
            int[] txt2img = new int[n];
            int[][] img2txt = new int[n][];
            for (int i = 0; i < n; i++) {
                txt2img[i] = i;
                img2txt[i] = new int[] {i};
            }
            float[] sim = fx.golden("retrieval.sim").toFloats();
            float[] itm = fx.golden("retrieval.itm_score").toFloats();
            int cols = (int) fx.golden("retrieval.sim").shape()[1];
            double[][] i2t = new double[n][n];
            double[][] t2i = new double[n][n];
            for (int i = 0; i < n; i++) {
                for (int t = 0; t < n; t++) {
                    i2t[i][t] = itm[i * cols + t] + sim[i * cols + t];
                    t2i[t][i] = i2t[i][t];
                }
            }
            Map<String, Double> expected = RetrievalMetrics.itmEval(i2t, t2i, txt2img, img2txt);
            Map<String, Double> got = Evaluation.retrieval(blip, file, fx.dir(), 256, null);
            assertEquals(expected, got);
        }
    }

    @Test
    void centeredTextsRankImageToTextByCosineMinusTheTextsMeanAndLeaveTextToImageAlone() throws Exception {
        try (Fixture fx = Fixture.open();
                Blip blip = Blip.load(fx.require("blip_retrieval.pth"))) {
            var preset = fx.manifest().path("preset_config");
            int n = Math.min(
                    preset.path("images").size(), preset.path("captions").size());
            Path file = onePairPerImage(fx, n);
            var cosines = fx.golden("retrieval.sim"); // the reference's cosines (images x texts) and ITM logits
            float[] sim = cosines.toFloats();
            float[] itm = fx.golden("retrieval.itm_score").toFloats();
            int cols = (int) cosines.shape()[1];
            double[] mean = new double[n]; // each text's mean cosine over the n images
            for (int t = 0; t < n; t++) {
                for (int i = 0; i < n; i++) {
                    mean[t] += sim[i * cols + t] / n;
                }
            }
            int k = n - 1; // the text with the lowest centred cosine is left out of each image's re-ranking
            Evaluation.RetrievalRun plain = Evaluation.retrievalRun(blip, file, fx.dir(), k, null, false, null);
            Evaluation.RetrievalRun centred = Evaluation.retrievalRun(blip, file, fx.dir(), k, null, true, null);
            for (int i = 0; i < n; i++) {
                int worst = 0;
                for (int t = 1; t < n; t++) {
                    double c = sim[i * cols + t] - mean[t];
                    worst = c < sim[i * cols + worst] - mean[worst] ? t : worst;
                }
                for (int t = 0; t < n; t++) {
                    double want = t == worst ? -100 : itm[i * cols + t] + sim[i * cols + t] - mean[t];
                    assertEquals(want, centred.i2t()[i][t], 1e-4, "image " + i + ", text " + t);
                }
            }
            for (int t = 0; t < n; t++) {
                assertArrayEquals(plain.t2i()[t], centred.t2i()[t], "text " + t + ": text→image is unchanged");
            }
        }
    }

    @Test
    void withACaptionerBothDirectionsRankTheItcCandidatesByItsLikelihood() throws Exception {
        try (Fixture fx = Fixture.open();
                Blip blip = Blip.load(fx.require("blip_retrieval.pth"));
                Blip cap = Blip.load(fx.require("blip_decoder.pth"))) {
            var images = fx.manifest().path("preset_config").path("images");
            var captions = fx.manifest().path("preset_config").path("captions");
            int n = Math.min(images.size(), captions.size());
            Path file = onePairPerImage(fx, n);
            List<RgbImage> imgs = new ArrayList<>();
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                imgs.add(cap.readImage(fx.require(images.get(i).get(0).asText())));
                texts.add(captions.get(i).asText());
            }
            int k = n - 1; // one image per text is left out of the re-ranking
            float[] sim = fx.golden("retrieval.sim").toFloats();
            int cols = (int) fx.golden("retrieval.sim").shape()[1];
            Evaluation.RetrievalRun run = Evaluation.retrievalRun(blip, file, fx.dir(), k, cap, null);
            for (int t = 0; t < n; t++) {
                double[] ll = cap.captionLogProb(imgs, texts.get(t)); // one text, every image
                int worst = 0; // the image with the lowest ITC cosine is not a candidate
                for (int i = 1; i < n; i++) {
                    worst = sim[i * cols + t] < sim[worst * cols + t] ? i : worst;
                }
                for (int i = 0; i < n; i++) {
                    if (i == worst) {
                        assertEquals(Double.NEGATIVE_INFINITY, run.t2i()[t][i], "text " + t + ", image " + i);
                    } else {
                        assertEquals(ll[i], run.t2i()[t][i], 1e-4, "text " + t + ", image " + i);
                    }
                }
            }
            for (int i = 0; i < n; i++) { // image→text: each image's top-k texts by its captioner score
                double[] lp = cap.captionLogProb(imgs.get(i), texts);
                int worst = 0;
                for (int t = 1; t < n; t++) {
                    worst = sim[i * cols + t] < sim[i * cols + worst] ? t : worst;
                }
                for (int t = 0; t < n; t++) {
                    assertEquals(t == worst ? Double.NEGATIVE_INFINITY : lp[t], run.i2t()[i][t], 1e-4);
                }
            }
            int[] txt2img = new int[n];
            int[][] img2txt = new int[n][];
            for (int i = 0; i < n; i++) {
                txt2img[i] = i;
                img2txt[i] = new int[] {i};
            }
            assertEquals(RetrievalMetrics.itmEval(run.i2t(), run.t2i(), txt2img, img2txt), run.metrics());
        }
    }

    @Test
    void captionEvaluationScoresTheGeneratedCaptions() throws Exception {
        try (Fixture fx = Fixture.open();
                Blip blip = Blip.load(fx.require("blip_decoder.pth"))) {
            var images = fx.manifest().path("preset_config").path("images");
            var beam = fx.manifest().path("texts").path("beam3");
            ObjectMapper json = new ObjectMapper();
            ArrayNode ann = json.createArrayNode();
            for (int i = 0; i < beam.size(); i++) {
                ann.addObject()
                        .put("image", images.get(i).get(0).asText())
                        .putArray("caption")
                        .add(beam.get(i).asText());
            }
            Path file = tmp.resolve("cap.json");
            json.writeValue(file.toFile(), ann);
            String desc =
                    fx.manifest().path("tensors").path("beam3.ids").path("desc").asText();
            int max = Integer.parseInt(desc.replaceAll(".*max_length=(\\d+).*", "$1"));
            int min = Integer.parseInt(desc.replaceAll(".*min_length=(\\d+).*", "$1"));
            CaptionScores s = Evaluation.captions(blip, file, fx.dir(), GenerationConfig.beam(3, max, min), 2, null);
            assertEquals(1.0, s.get("Bleu_1"), 1e-9, "the reference's captions as references: every word matches");
            assertEquals(1.0, s.get("ROUGE_L"), 1e-9);
        }
    }

    /** A Karpathy eval file of the fixture's first n preset images, each with its own preset caption. */
    private Path onePairPerImage(Fixture fx, int n) throws java.io.IOException {
        var images = fx.manifest().path("preset_config").path("images");
        var captions = fx.manifest().path("preset_config").path("captions");
        ObjectMapper json = new ObjectMapper();
        ArrayNode ann = json.createArrayNode();
        for (int i = 0; i < n; i++) {
            ann.addObject()
                    .put("image", images.get(i).get(0).asText())
                    .putArray("caption")
                    .add(captions.get(i).asText());
        }
        Path file = tmp.resolve("test.json");
        json.writeValue(file.toFile(), ann);
        return file;
    }
}

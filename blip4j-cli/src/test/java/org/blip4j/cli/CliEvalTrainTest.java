package org.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.blip4j.eval.RetrievalMetrics;
import org.blip4j.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code blip4j eval} and {@code blip4j train --resume} end to end on the fixture: retrieval metrics equal the
 * reference's own scores put through BLIP's itm_eval, caption metrics score the generated captions, and a training
 * run stopped and resumed from its checkpoint ends where the uninterrupted run ends.
 */
class CliEvalTrainTest {
    static final CliFixture FX = CliFixture.get();
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** Karpathy-style annotations: image i with caption {@code captions.get(i)}. */
    Path annotations(String name, List<String> captions, boolean trainFormat) throws Exception {
        List<Path> images = FX.images();
        ArrayNode ann = JSON.createArrayNode();
        for (int i = 0; i < images.size(); i++) {
            var e = ann.addObject().put("image", images.get(i).getFileName().toString());
            if (trainFormat) {
                e.put("caption", captions.get(i % captions.size())).put("image_id", "img" + i);
            } else {
                e.putArray("caption").add(captions.get(i % captions.size()));
            }
        }
        Path f = tmp.resolve(name);
        JSON.writeValue(f.toFile(), ann);
        return f;
    }

    static Map<String, Double> metrics(CliFixture.Run r) {
        List<String> lines = r.outLines();
        assertEquals(1, lines.size(), r.out());
        Map<String, Double> out = new TreeMap<>();
        CliFixture.json(lines.get(0))
                .fields()
                .forEachRemaining(e -> out.put(e.getKey(), e.getValue().asDouble()));
        return out;
    }

    @Test
    void evalRetrievalEqualsItmEvalOfTheReferenceScores() throws Exception {
        List<String> captions = FX.strings("preset_config", "captions");
        int n = Math.min(FX.images().size(), captions.size());
        Path data = annotations("test.json", captions.subList(0, n), false);
        float[] sim;
        float[] itm;
        int cols;
        try (SafeTensors g = SafeTensors.open(FX.file("goldens.safetensors"))) {
            sim = g.get("retrieval.sim").toFloats();
            itm = g.get("retrieval.itm_score").toFloats();
            cols = (int) g.get("retrieval.sim").shape()[1];
        }
        double[][] i2t = new double[n][n];
        double[][] t2i = new double[n][n];
        int[] txt2img = new int[n];
        int[][] img2txt = new int[n][];
        for (int i = 0; i < n; i++) {
            txt2img[i] = i;
            img2txt[i] = new int[] {i};
            for (int t = 0; t < n; t++) {
                i2t[i][t] = itm[i * cols + t] + sim[i * cols + t]; // train_retrieval.evaluation: ITM logit + cosine
                t2i[t][i] = i2t[i][t];
            }
        }
        Map<String, Double> expected = new TreeMap<>(RetrievalMetrics.itmEval(i2t, t2i, txt2img, img2txt));
        CliFixture.Run r = CliFixture.run(
                        "eval",
                        "retrieval",
                        "-m",
                        FX.file("blip_retrieval.pth").toString(),
                        "--data",
                        data.toString(),
                        "--images",
                        FX.dir.toString(),
                        "--json")
                .expect(0);
        Map<String, Double> got = metrics(r);
        assertEquals(expected.keySet(), got.keySet(), r.out());
        expected.forEach((k, v) -> assertEquals(v, got.get(k), 1e-9, k));
        assertFalse(r.hasStackTrace(), r.err());
    }

    @Test
    void evalCaptionScoresTheGeneratedCaptions() throws Exception {
        List<String> beam = FX.texts("beam3");
        List<String> args = new ArrayList<>(List.of(
                "eval",
                "caption",
                "-m",
                FX.file("blip_decoder.pth").toString(),
                "--images",
                FX.dir.toString(),
                "--json",
                "--beams",
                String.valueOf(FX.setting("beam3.ids", "num_beams")),
                "--max-length",
                String.valueOf(FX.setting("beam3.ids", "max_length")),
                "--min-length",
                String.valueOf(FX.setting("beam3.ids", "min_length")),
                "--data"));
        // references = the reference's own beam captions: every generated word is in its reference
        List<String> same = new ArrayList<>(args);
        same.add(annotations("same.json", beam, false).toString());
        Map<String, Double> m = metrics(CliFixture.run(same).expect(0));
        assertEquals(1.0, m.get("Bleu_1"), 1e-9, m.toString());
        assertEquals(1.0, m.get("ROUGE_L"), 1e-9, m.toString());
        // references rotated by one image: the same captions now score below 1
        List<String> rotated = new ArrayList<>(beam.subList(1, beam.size()));
        rotated.add(beam.get(0));
        List<String> other = new ArrayList<>(args);
        other.add(annotations("rotated.json", rotated, false).toString());
        Map<String, Double> w = metrics(CliFixture.run(other).expect(0));
        assertTrue(w.get("Bleu_1") < 1.0 && w.get("ROUGE_L") < 1.0, w.toString());
    }

    @Test
    void trainResumeEndsWhereTheUninterruptedRunEnds() throws Exception {
        Path train = annotations("train.json", FX.strings("preset_config", "captions"), true);
        Path recipe = tmp.resolve("caption.yaml");
        Files.writeString(
                recipe,
                "pretrained: " + FX.file("blip_decoder.pth") + "\n"
                        + "image_root: " + FX.dir + "\ntrain_file: " + train + "\n"
                        + "batch_size: 1\nmax_epoch: 2\ninit_lr: 1e-4\nmin_lr: 0\nweight_decay: 0.05\nseed: 7\nworkers: 1\n");
        int steps = 2 * FX.images().size();
        int stopAt = FX.images().size() + 1; // mid-way through the second epoch
        Path whole = tmp.resolve("whole");
        Path split = tmp.resolve("split");
        CliFixture.run("train", "caption", "-c", recipe.toString(), "--set", "output_dir=" + whole)
                .expect(0);
        CliFixture.Run first = CliFixture.run(
                        "train",
                        "caption",
                        "-c",
                        recipe.toString(),
                        "--set",
                        "output_dir=" + split,
                        "--set",
                        "max_steps=" + stopAt)
                .expect(0);
        assertEquals(stopAt, losses(split).size(), first.err());
        CliFixture.Run resumed = CliFixture.run(
                        "train", "caption", "-c", recipe.toString(), "--set", "output_dir=" + split, "--resume")
                .expect(0);
        assertFalse(resumed.hasStackTrace(), resumed.err());
        assertTrue(resumed.out().contains("trained model: " + split.resolve("model")), resumed.out());

        List<Double> a = losses(whole);
        List<Double> b = losses(split);
        assertEquals(steps, a.size());
        assertEquals(a.size(), b.size(), "each step logged once after the resume");
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i), b.get(i), 1e-6, "loss of step " + (i + 1));
        }
        try (SafeTensors x = SafeTensors.open(whole.resolve("model").resolve("model.safetensors"));
                SafeTensors y = SafeTensors.open(split.resolve("model").resolve("model.safetensors"))) {
            assertEquals(x.entries().keySet(), y.entries().keySet());
            double max = 0;
            for (String k : x.entries().keySet()) {
                float[] p = x.get(k).toFloats();
                float[] q = y.get(k).toFloats();
                for (int i = 0; i < p.length; i++) {
                    max = Math.max(max, Math.abs(p[i] - q[i]));
                }
            }
            assertTrue(max <= 1e-6, "weights after stop + resume differ from the uninterrupted run by " + max);
        }
    }

    static List<Double> losses(Path out) throws Exception {
        List<Double> l = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("checkpoints").resolve("metrics.jsonl"))) {
            JsonNode row = JSON.readTree(line);
            assertEquals(l.size() + 1, row.path("step").asInt(), "steps in order, none twice: " + line);
            l.add(row.path("loss").asDouble());
        }
        return l;
    }
}

package org.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.blip4j.shapes.ShapesConfig;
import org.blip4j.shapes.ShapesGenerator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code blip4j eval} on shapes-world data adds the truth metrics beside the reference's, with the embedded model
 * (one compute thread: the model is tiny, and more threads only contend on a loaded 2-core machine).
 */
class CliEvalShapesTest {
    @TempDir
    static Path world;

    @BeforeAll
    static void generate() throws Exception {
        ShapesConfig cfg =
                ShapesConfig.defaults(31).withNlvr(0, 0).withSizes(0, 0, 8, 0).withThreads(2);
        ShapesGenerator.generate(cfg, world, null);
    }

    /** --threads is process-wide: give the next test classes libtorch's default (one thread per core) back. */
    @AfterAll
    static void restoreThreads() {
        org.blip4j.engine.Engine.setThreads(Runtime.getRuntime().availableProcessors());
    }

    static JsonNode json(CliFixture.Run r) throws Exception {
        assertEquals(1, r.outLines().size(), r.out());
        return new ObjectMapper().readTree(r.outLines().get(0));
    }

    static String[] eval(String task, String data, String... extra) {
        String[] base = {
            "eval",
            task,
            "--model",
            "shapes",
            "--data",
            world.resolve(data).toString(),
            "--images",
            world.toString(),
            "--json",
            "--threads",
            "1"
        };
        String[] out = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, out, base.length, extra.length);
        return out;
    }

    @Test
    void captionTruthRateBesideCider(@TempDir Path tmp) throws Exception {
        Path png = tmp.resolve("conf/caption.png");
        Path res = tmp.resolve("res/captions.json");
        CliFixture.Run r = CliFixture.run(eval(
                        "caption", "caption_test.json", "--confusion", png.toString(), "--results", res.toString()))
                .expect(0);
        JsonNode j = json(r);
        for (String k : new String[] {
            "Bleu_1",
            "Bleu_4",
            "ROUGE_L",
            "CIDEr",
            "truth_rate",
            "parse_rate",
            "shape_words_judged",
            "color_words_judged"
        }) {
            assertTrue(j.has(k), k + " in " + j);
        }
        // every caption of the embedded model is a caption of the world (its generation_config.json lets them
        // finish; ShapesModelFloorTest checks the same over 70 images, where a cut at 20 tokens shows)
        assertEquals(1.0, j.get("parse_rate").asDouble(), j.toString());
        double truth = j.get("truth_rate").asDouble();
        assertTrue(truth >= 0 && truth <= j.get("parse_rate").asDouble(), j.toString());
        JsonNode shape = j.get("confusion").get("shape");
        assertEquals(9, shape.get("counts").size());
        assertEquals(10, shape.get("counts").get(0).size());
        assertEquals(j.get("shape_words_judged").asLong(), shape.get("total").asLong());
        assertTrue(Files.size(png) > 1000);
        JsonNode written =
                new ObjectMapper().readTree(tmp.resolve("conf/caption.json").toFile());
        assertEquals(j.get("confusion"), written);
        assertEquals("", r.err().strip(), r.err());
        // --results: one {image_id, caption} per test image, image_id the annotation's path
        java.util.Set<String> images = new java.util.TreeSet<>();
        new ObjectMapper()
                .readTree(world.resolve("caption_test.json").toFile())
                .forEach(a -> images.add(a.get("image").asText()));
        JsonNode rows = new ObjectMapper().readTree(res.toFile());
        java.util.Set<String> ids = new java.util.TreeSet<>();
        rows.forEach(row -> {
            ids.add(row.get("image_id").asText());
            assertFalse(row.get("caption").asText().isBlank(), row.toString());
        });
        assertEquals(images.size(), rows.size());
        assertEquals(images, ids);
    }

    @Test
    void retrievalTruthIsAtLeastRecall() throws Exception {
        JsonNode j = json(CliFixture.run(eval("retrieval", "caption_test.json", "-k", "2"))
                .expect(0));
        for (String k :
                new String[] {"txt_r1", "img_r1", "img_r5", "r_mean", "img_truth1", "img_truth5", "txt_truth1"}) {
            assertTrue(j.has(k), k + " in " + j);
        }
        // the image a caption was written for satisfies it: a hit for R@K is a hit for truth@K
        assertTrue(j.get("img_truth1").asDouble() >= j.get("img_r1").asDouble(), j.toString());
        assertTrue(j.get("img_truth5").asDouble() >= j.get("img_r5").asDouble(), j.toString());
        assertTrue(j.get("txt_truth1").asDouble() >= j.get("txt_r1").asDouble(), j.toString());
        // truth@1 by query kind and ITM on minimal pairs: percentages, the overall ones within the range of the kinds
        double lo = 100;
        double hi = 0;
        int kinds = 0;
        for (var it = j.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (k.startsWith("itm_pairs_") || k.startsWith("img_truth1_")) {
                double v = j.get(k).asDouble();
                assertTrue(v >= 0 && v <= 100, k + " = " + v);
            }
            if (k.startsWith("itm_pairs_")) {
                lo = Math.min(lo, j.get(k).asDouble());
                hi = Math.max(hi, j.get(k).asDouble());
                kinds++;
            }
        }
        assertTrue(kinds >= 2, "minimal pairs of several kinds: " + j);
        double all = j.get("itm_pairs").asDouble();
        assertTrue(all >= lo - 1e-9 && all <= hi + 1e-9, j.toString());
        assertTrue(j.has("img_truth1_objects"), j.toString());
        // --center-texts changes image→text only: text→image recall is the same
        JsonNode centred = json(CliFixture.run(eval("retrieval", "caption_test.json", "-k", "2", "--center-texts"))
                .expect(0));
        for (String k : new String[] {"img_r1", "img_r5", "img_truth1"}) {
            assertEquals(j.get(k).asDouble(), centred.get(k).asDouble(), 1e-9, k);
        }
        CliFixture.Run refused = CliFixture.run(eval("caption", "caption_test.json", "--center-texts"));
        assertEquals(2, refused.code(), refused.err());
        assertTrue(refused.err().contains("--center-texts: retrieval only"), refused.err());
        // the linear read-out of the image tokens' place: an R² (at most 1) for rows and for columns
        for (String k : new String[] {"vit_place_r2_row", "vit_place_r2_col"}) {
            assertTrue(j.has(k) && j.get(k).asDouble() <= 1, k + " in " + j);
        }
    }

    @Test
    void aCaptionerReranksBothDirections() throws Exception {
        JsonNode itm = json(CliFixture.run(eval("retrieval", "caption_test.json", "-k", "3"))
                .expect(0));
        JsonNode cap = json(CliFixture.run(eval("retrieval", "caption_test.json", "-k", "3", "--captioner", "shapes"))
                .expect(0));
        for (String k : new String[] {"img_r1", "img_truth1", "img_truth1_objects", "txt_r1", "txt_truth1"}) {
            assertTrue(cap.has(k), k + " in " + cap);
        }
        assertTrue(cap.get("img_truth1").asDouble() >= cap.get("img_r1").asDouble(), cap.toString());
        assertTrue(cap.get("txt_truth1").asDouble() >= cap.get("txt_r1").asDouble(), cap.toString());
        // the same ITC candidates, re-ordered: R@K at or past the candidate count cannot differ
        assertEquals(itm.get("img_r5").asDouble(), cap.get("img_r5").asDouble(), 1e-9);
        assertEquals(itm.get("txt_r5").asDouble(), cap.get("txt_r5").asDouble(), 1e-9);
        // a model without a text decoder is refused in one line, before any scoring
        CliFixture.Run bad = CliFixture.run(eval("retrieval", "caption_test.json", "--captioner", "shapes/retrieval"));
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("--captioner: shapes/retrieval is an image-text matching"), bad.err());
        assertFalse(bad.hasStackTrace(), bad.err());
    }

    @Test
    void vqaAccuracyPerQuestionType(@TempDir Path tmp) throws Exception {
        String answers = world.resolve("answer_list.json").toString();
        Path res = tmp.resolve("vqa_result.json");
        JsonNode j = json(CliFixture.run(
                        eval("vqa", "vqa_test.json", "--answers", answers, "-k", "3", "--results", res.toString()))
                .expect(0));
        Map<String, Integer> perType = new HashMap<>();
        new ObjectMapper()
                .readTree(world.resolve("vqa_test.json").toFile())
                .forEach(q -> perType.merge(q.get("question_type").asText(), 1, Integer::sum));
        double weighted = 0;
        int n = 0;
        for (Map.Entry<String, Integer> e : perType.entrySet()) {
            assertEquals(e.getValue(), j.get("vqa_questions_" + e.getKey()).asInt(), e.getKey());
            weighted += j.get("vqa_accuracy_" + e.getKey()).asDouble() * e.getValue();
            n += e.getValue();
        }
        assertEquals(j.get("vqa_accuracy").asDouble(), weighted / n, 1e-9);
        assertTrue(j.get("confusion").get("color").has("counts"));
        // --results: the answers in file order; scored against the file's answers they give the reported accuracy
        JsonNode qs = new ObjectMapper().readTree(world.resolve("vqa_test.json").toFile());
        JsonNode rows = new ObjectMapper().readTree(res.toFile());
        assertEquals(qs.size(), rows.size());
        java.util.List<String> preds = new java.util.ArrayList<>();
        java.util.List<java.util.List<String>> gts = new java.util.ArrayList<>();
        for (int i = 0; i < qs.size(); i++) {
            JsonNode q = qs.get(i);
            JsonNode row = rows.get(i);
            assertEquals(q.get("question").asText(), row.get("question").asText());
            assertEquals(q.get("image").asText(), row.get("image").asText());
            assertEquals(
                    q.get("question_type").asText(), row.get("question_type").asText());
            assertEquals(q.get("question_id").asLong(), row.get("question_id").asLong());
            preds.add(row.get("answer").asText());
            java.util.List<String> gt = new java.util.ArrayList<>();
            q.get("answer").forEach(a -> gt.add(a.asText()));
            gts.add(gt);
        }
        assertEquals(j.get("vqa_accuracy").asDouble(), org.blip4j.eval.VqaAccuracy.overall(preds, gts), 1e-9);
        CliFixture.Run refused = CliFixture.run(eval("retrieval", "caption_test.json", "--results", res.toString()));
        assertEquals(2, refused.code(), refused.err());
        assertTrue(refused.err().contains("--results: caption and vqa only"), refused.err());

        Path few = tmp.resolve("vqa_few.json"); // human-readable output, on three questions
        String all = Files.readString(world.resolve("vqa_test.json"));
        int third = all.indexOf(",\n{", all.indexOf(",\n{", all.indexOf(",\n{") + 1) + 1);
        Files.writeString(few, all.substring(0, third) + "\n]\n");
        CliFixture.Run text = CliFixture.run(
                        "eval",
                        "vqa",
                        "--model",
                        "shapes",
                        "--data",
                        few.toString(),
                        "--images",
                        world.toString(),
                        "--answers",
                        answers,
                        "-k",
                        "3",
                        "--threads",
                        "1")
                .expect(0);
        assertTrue(text.out().contains("vqa_accuracy_"), text.out());
        assertTrue(text.out().contains("rows: truth, columns: predicted"), text.out());
    }

    @Test
    void scenesAreOptionalAndAMismatchIsNamed(@TempDir Path tmp) throws Exception {
        // no scenes.json beside the images: the reference's metrics only
        Path plain = tmp.resolve("plain");
        Files.createDirectories(plain.resolve("images/test"));
        try (var pngs = Files.list(world.resolve("images/test"))) {
            for (Path p : pngs.toList()) {
                Files.copy(p, plain.resolve("images/test").resolve(p.getFileName()));
            }
        }
        JsonNode j = json(CliFixture.run(
                        "eval",
                        "caption",
                        "--model",
                        "shapes",
                        "--data",
                        world.resolve("caption_test.json").toString(),
                        "--images",
                        plain.toString(),
                        "--json",
                        "--threads",
                        "1")
                .expect(0));
        assertTrue(j.has("CIDEr"));
        assertFalse(j.has("truth_rate"), j.toString());
        assertFalse(j.has("confusion"), j.toString());
        // an explicit --scenes that lacks an image: one message naming both, before any model work
        Path partial = tmp.resolve("scenes.json");
        String all = Files.readString(world.resolve("scenes.json"));
        Files.writeString(partial, all.substring(0, all.indexOf(",\n{")) + "\n]\n");
        CliFixture.Run bad = CliFixture.run(eval("retrieval", "caption_test.json", "--scenes", partial.toString()));
        assertEquals(1, bad.code(), bad.err());
        assertTrue(bad.err().contains(partial + " does not describe images/test/test_000001.png"), bad.err());
        assertFalse(bad.hasStackTrace(), bad.err());
    }
}

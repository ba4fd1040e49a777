package org.blip4j.shapes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.blip4j.text.BertTokenizer;
import org.junit.jupiter.api.Test;

/** Files parse in BLIP's formats, the vocabulary covers every text, NLVR labels are balanced and correct. */
class ShapesFormatTest {
    static Set<String> fields(JsonNode r) {
        Set<String> s = new HashSet<>();
        r.fieldNames().forEachRemaining(s::add);
        return s;
    }

    static void assertImage(String image) {
        assertTrue(image.startsWith("images/") && image.endsWith(".png"), image);
        assertTrue(Files.isRegularFile(WorldFixture.dir().resolve(image)), image);
    }

    @Test
    void jsonFilesParseInBlipFormats() throws IOException {
        ShapesConfig c = WorldFixture.CONFIG;
        for (String f : new String[] {"pretrain_human.json", "web.json"}) {
            for (JsonNode r : WorldFixture.read(f)) {
                assertEquals(Set.of("image", "caption"), fields(r), f);
                assertImage(r.get("image").asText());
                assertTrue(r.get("caption").isTextual());
            }
        }
        JsonNode train = WorldFixture.read("caption_train.json");
        assertEquals(c.train() * c.captionsPerImage(), train.size());
        for (JsonNode r : train) {
            assertEquals(Set.of("image", "caption", "image_id"), fields(r));
            assertImage(r.get("image").asText());
        }
        for (String sp : new String[] {"val", "test"}) {
            JsonNode eval = WorldFixture.read("caption_" + sp + ".json");
            JsonNode gt = WorldFixture.read("caption_" + sp + "_gt.json");
            assertEquals(Set.of("annotations", "images"), fields(gt));
            Map<Integer, List<String>> byId = new HashMap<>();
            Set<Integer> annIds = new HashSet<>();
            for (JsonNode a : gt.get("annotations")) {
                assertEquals(Set.of("image_id", "caption", "id"), fields(a));
                byId.computeIfAbsent(a.get("image_id").asInt(), k -> new ArrayList<>())
                        .add(a.get("caption").asText());
                assertTrue(annIds.add(a.get("id").asInt()));
            }
            assertEquals(eval.size(), gt.get("images").size());
            for (JsonNode r : eval) {
                assertEquals(Set.of("image", "caption"), fields(r));
                String image = r.get("image").asText();
                assertImage(image);
                // BLIP's eval datasets take the COCO id from the digits after the last '_' of the file name
                Matcher m = Pattern.compile(".*_(\\d+)\\.png").matcher(image);
                assertTrue(m.matches(), image);
                List<String> refs = new ArrayList<>();
                r.get("caption").forEach(x -> refs.add(x.asText()));
                assertEquals(byId.get(Integer.parseInt(m.group(1))), refs, image);
            }
        }
        for (String f : new String[] {"vqa_train.json", "vqa_val.json", "vqa_test.json"}) {
            JsonNode rows = WorldFixture.read(f);
            assertTrue(rows.size() > 0);
            for (JsonNode r : rows) {
                assertEquals(
                        Set.of("question_id", "question", "answer", "image", "dataset", "question_type"), fields(r));
                assertEquals("vqa", r.get("dataset").asText());
                assertTrue(r.get("answer").isArray());
                assertTrue(r.get("question").asText().endsWith("?"));
                assertImage(r.get("image").asText());
            }
        }
        JsonNode answers = WorldFixture.read("answer_list.json");
        assertTrue(answers.isArray() && answers.size() > 20);
        for (String f : new String[] {"nlvr_train.json", "nlvr_test.json"}) {
            for (JsonNode r : WorldFixture.read(f)) {
                assertEquals(Set.of("images", "sentence", "label"), fields(r));
                assertEquals(2, r.get("images").size());
                r.get("images").forEach(i -> assertImage(i.asText()));
                assertTrue(Set.of("True", "False").contains(r.get("label").asText()));
            }
        }
        JsonNode manifest = WorldFixture.read("manifest.json");
        assertEquals(c.seed(), manifest.get("config").get("seed").asLong());
        assertEquals(WorldFixture.worlds().size(), manifest.get("images").asInt());
        var png = ImageIO.read(
                WorldFixture.dir().resolve("images/test/test_000000.png").toFile());
        assertEquals(c.size(), png.getWidth());
        assertEquals(c.size(), png.getHeight());
        assertTrue(
                Files.readString(WorldFixture.dir().resolve("README.md")).contains("| web.json | " + c.web() + " |"));
    }

    /** Every text of the world, with whether it is junk. */
    static Map<String, Boolean> texts() {
        Map<String, Boolean> t = new java.util.LinkedHashMap<>();
        Set<String> junk = new HashSet<>();
        for (JsonNode r : WorldFixture.read("web_noise_labels.json")) {
            if (r.get("label").asText().equals("junk")) {
                junk.add(r.get("caption").asText());
            }
        }
        for (String f : new String[] {"pretrain_human.json", "caption_train.json", "web.json"}) {
            WorldFixture.read(f)
                    .forEach(r -> t.put(
                            r.get("caption").asText(),
                            junk.contains(r.get("caption").asText())));
        }
        for (String f : new String[] {"caption_val.json", "caption_test.json"}) {
            WorldFixture.read(f).forEach(r -> r.get("caption").forEach(x -> t.put(x.asText(), false)));
        }
        for (String f : new String[] {"vqa_train.json", "vqa_val.json", "vqa_test.json"}) {
            WorldFixture.read(f).forEach(r -> {
                t.put(r.get("question").asText(), false);
                r.get("answer").forEach(a -> t.put(a.asText(), false));
            });
        }
        for (String f : new String[] {"nlvr_train.json", "nlvr_test.json"}) {
            WorldFixture.read(f).forEach(r -> t.put(r.get("sentence").asText(), false));
        }
        WorldFixture.read("answer_list.json").forEach(a -> t.put(a.asText(), false));
        return t;
    }

    @Test
    void vocabularyCoversEveryTextWithoutUnk() throws IOException {
        Path vocab = WorldFixture.dir().resolve("vocab.txt");
        List<String> lines = Files.readAllLines(vocab);
        assertEquals(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"), lines.subList(0, 5));
        assertEquals(lines.size(), new HashSet<>(lines).size(), "no duplicate tokens");
        BertTokenizer tok = BertTokenizer.fromVocab(vocab);
        Map<String, Boolean> texts = texts();
        assertTrue(texts.size() > 500);
        for (Map.Entry<String, Boolean> e : texts.entrySet()) {
            List<String> pieces = tok.tokenize(e.getKey());
            assertFalse(pieces.contains("[UNK]"), () -> e.getKey() + " -> " + pieces);
            if (!e.getValue()) {
                // words of captions, questions, answers and statements are whole tokens
                assertTrue(pieces.stream().noneMatch(p -> p.startsWith("##")), () -> e.getKey() + " -> " + pieces);
            }
        }
        // the vocabulary is small and fixed
        assertTrue(lines.size() < 400, "vocab size " + lines.size());
        assertEquals(ShapesVocabulary.vocabLines(), lines);
    }

    @Test
    void nlvrLabelsAreBalancedAndCorrect() {
        Map<String, WorldFixture.World> worlds = WorldFixture.worlds();
        Pattern more =
                Pattern.compile("the (left|right) image (?:contains|has) more (\\w+) than the (?:left|right) image");
        Pattern both = Pattern.compile(
                "(both images contain|neither image contains|exactly one image contains) an? " + "(\\w+)(?: (\\w+))?");
        Pattern same = Pattern.compile("both images contain the same number of objects");
        Pattern exactly = Pattern.compile("the (left|right) image (?:contains|has) exactly (\\w+) (\\w+)");
        int checked = 0;
        int rows = 0;
        for (String f : new String[] {"nlvr_train.json", "nlvr_test.json"}) {
            int yes = 0;
            int no = 0;
            for (JsonNode r : WorldFixture.read(f)) {
                rows++;
                boolean label = r.get("label").asText().equals("True");
                if (label) {
                    yes++;
                } else {
                    no++;
                }
                WorldFixture.World[] lr = {
                    worlds.get(r.get("images").get(0).asText()),
                    worlds.get(r.get("images").get(1).asText())
                };
                String s = r.get("sentence").asText();
                Matcher m;
                Boolean truth = null;
                if ((m = more.matcher(s)).matches()) {
                    int side = m.group(1).equals("left") ? 0 : 1;
                    String noun = m.group(2);
                    String k = noun.equals("objects") || noun.equals("shapes")
                            ? null
                            : ShapeKind.fromWord(noun).id();
                    truth = lr[side].count(null, null, k) > lr[1 - side].count(null, null, k);
                } else if ((m = same.matcher(s)).matches()) {
                    truth = lr[0].objects().size() == lr[1].objects().size();
                } else if ((m = exactly.matcher(s)).matches()) {
                    int side = m.group(1).equals("left") ? 0 : 1;
                    int n = List.of("zero", "one", "two", "three", "four", "five")
                            .indexOf(m.group(2));
                    truth = lr[side].objects().size() == n;
                } else if ((m = both.matcher(s)).matches()) {
                    String a = m.group(2);
                    String b = m.group(3);
                    String color = ShapeColor.fromWord(a) != null
                            ? ShapeColor.fromWord(a).id()
                            : null;
                    String shape = b == null
                            ? ShapeKind.fromWord(a).id()
                            : b.equals("object") ? null : ShapeKind.fromWord(b).id();
                    boolean l = lr[0].count(null, color, shape) > 0;
                    boolean rr = lr[1].count(null, color, shape) > 0;
                    truth = m.group(1).startsWith("both")
                            ? l && rr
                            : m.group(1).startsWith("neither") ? !l && !rr : l != rr;
                }
                if (truth != null) {
                    assertEquals(truth, label, s + " " + r.get("images"));
                    checked++;
                }
            }
            assertEquals(yes, no, f + " labels are balanced");
        }
        assertTrue(checked > rows / 3, "recomputed " + checked + " of " + rows);
    }
}

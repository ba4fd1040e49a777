package org.blip4j.shapes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** VQA answers are recomputed from the scene descriptions, and every question's referent is unique. */
class ShapesVqaTest {
    private static final String SIZE = "(?:(small|large) )?";
    private static final Pattern COLOR =
            Pattern.compile("what (?:color is|is the color of) the " + SIZE + "(\\w+)(?: in the image)?\\?");
    private static final Pattern SHAPE = Pattern.compile(
            "(?:what shape is the|what is the|what kind of shape is the) " + SIZE + "(\\w+) (?:object|shape)\\?");
    private static final Pattern WHICH = Pattern.compile("which shape is (\\w+)\\?");
    private static final Pattern COUNT =
            Pattern.compile("how many (?:(\\w+) )?(\\w+) (?:are there|are in the image|can you see)\\?");
    private static final Pattern EXIST = Pattern.compile("is there an? (?:(\\w+) )?(\\w+)(?: in the image)?\\?");
    private static final Pattern ANY = Pattern.compile("are there any (\\w+) objects\\?");
    private static final Pattern RELATION = Pattern.compile(
            "what (is|shape is|color is the object) (?:to the )?(left of|right of|above|below) the (?:(\\w+) )?(\\w+)\\?");

    /** The correct answer recomputed from the scene; fails if the question does not pin down one answer. */
    static String answer(String q, WorldFixture.World w) {
        Matcher m;
        if ((m = COLOR.matcher(q)).matches()) {
            List<WorldFixture.Obj> hits = w.matching(m.group(1), null, shape(m.group(2)));
            assertEquals(1, hits.size(), q);
            return hits.get(0).color();
        }
        if ((m = SHAPE.matcher(q)).matches()) {
            List<WorldFixture.Obj> hits = w.matching(m.group(1), color(m.group(2)), null);
            assertEquals(1, hits.size(), q);
            return hits.get(0).shape();
        }
        if ((m = WHICH.matcher(q)).matches()) {
            List<WorldFixture.Obj> hits = w.matching(null, color(m.group(1)), null);
            assertEquals(1, hits.size(), q);
            return hits.get(0).shape();
        }
        if ((m = COUNT.matcher(q)).matches()) {
            String c = m.group(1) == null ? null : color(m.group(1));
            String noun = m.group(2);
            String k = noun.equals("shapes") || noun.equals("objects") ? null : shape(noun);
            return Long.toString(w.count(null, c, k));
        }
        if ((m = EXIST.matcher(q)).matches()) {
            String c = m.group(1) == null ? null : color(m.group(1));
            return w.count(null, c, shape(m.group(2))) > 0 ? "yes" : "no";
        }
        if ((m = ANY.matcher(q)).matches()) {
            return w.count(null, color(m.group(1)), null) > 0 ? "yes" : "no";
        }
        if ((m = RELATION.matcher(q)).matches()) {
            String rel = m.group(2).split(" ")[0];
            List<WorldFixture.Obj> refs =
                    w.matching(null, m.group(3) == null ? null : color(m.group(3)), shape(m.group(4)));
            assertEquals(1, refs.size(), q);
            WorldFixture.Obj ref = refs.get(0);
            List<WorldFixture.Obj> hits = new ArrayList<>();
            for (WorldFixture.Obj o : w.objects()) {
                if (o != ref && w.relationTrue(o, rel, ref)) {
                    hits.add(o);
                } else if (o != ref) {
                    assertTrue(w.relationFalse(o, rel, ref), () -> "borderline object for " + q + " in " + w);
                }
            }
            assertEquals(1, hits.size(), q);
            return m.group(1).startsWith("color")
                    ? hits.get(0).color()
                    : hits.get(0).shape();
        }
        throw new AssertionError("unknown question form: " + q);
    }

    private static String shape(String word) {
        ShapeKind k = ShapeKind.fromWord(word);
        if (k == null) {
            throw new AssertionError("not a shape: " + word);
        }
        return k.id();
    }

    private static String color(String word) {
        ShapeColor c = ShapeColor.fromWord(word);
        if (c == null) {
            throw new AssertionError("not a colour: " + word);
        }
        return c.id();
    }

    @Test
    void answersAreCorrectForTheScene() {
        Set<String> answerList = new HashSet<>();
        WorldFixture.read("answer_list.json").forEach(a -> answerList.add(a.asText()));
        Map<String, Integer> types = new HashMap<>();
        Map<String, Integer> yesNo = new HashMap<>();
        int noisy = 0;
        int total = 0;
        for (String f : new String[] {"vqa_train.json", "vqa_val.json", "vqa_test.json"}) {
            Set<String> ids = new HashSet<>();
            for (JsonNode r : WorldFixture.read(f)) {
                String q = r.get("question").asText();
                WorldFixture.World w = WorldFixture.worlds().get(r.get("image").asText());
                String expected = answer(q, w);
                List<String> answers = new ArrayList<>();
                r.get("answer").forEach(a -> answers.add(a.asText()));
                assertEquals(10, answers.size(), q);
                long correct = answers.stream().filter(expected::equals).count();
                assertTrue(correct >= 8, () -> q + " " + answers + " expected " + expected);
                noisy += correct < 10 ? 1 : 0;
                assertTrue(answerList.containsAll(answers), answers::toString);
                assertTrue(ids.add(r.get("question_id").asText()), "question ids are unique");
                types.merge(r.get("question_type").asText(), 1, Integer::sum);
                if (expected.equals("yes") || expected.equals("no")) {
                    yesNo.merge(expected, 1, Integer::sum);
                }
                total++;
            }
        }
        assertEquals(Set.of("color", "shape", "count", "exist", "relation"), types.keySet());
        for (int n : types.values()) {
            assertTrue(n > total / 12, types.toString());
        }
        assertTrue(
                Math.abs(yesNo.get("yes") - yesNo.get("no")) < 0.25 * (yesNo.get("yes") + yesNo.get("no")),
                yesNo.toString());
        assertTrue(noisy > 0.1 * total && noisy < 0.5 * total, "annotator noise in " + noisy + " of " + total);
    }

    @Test
    void questionsPerImageAreDistinct() {
        Map<String, Set<String>> byImage = new HashMap<>();
        for (JsonNode r : WorldFixture.read("vqa_train.json")) {
            assertTrue(
                    byImage.computeIfAbsent(r.get("image").asText(), k -> new HashSet<>())
                            .add(r.get("question").asText()),
                    r::toString);
        }
        assertEquals(WorldFixture.CONFIG.train(), byImage.size());
    }
}

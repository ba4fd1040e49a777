package org.blip4j.shapes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Captions say only what is true of their scene (read back from scenes.json); web noise is what its label says. */
class ShapesCaptionTest {
    /** Every caption of a split with its image. */
    static List<String[]> captions() {
        List<String[]> out = new ArrayList<>();
        for (JsonNode r : WorldFixture.read("caption_train.json")) {
            out.add(new String[] {r.get("image").asText(), r.get("caption").asText()});
        }
        for (String f : new String[] {"caption_val.json", "caption_test.json"}) {
            for (JsonNode r : WorldFixture.read(f)) {
                for (JsonNode c : r.get("caption")) {
                    out.add(new String[] {r.get("image").asText(), c.asText()});
                }
            }
        }
        return out;
    }

    static void assertTrueOf(String image, String caption) {
        WorldFixture.World w = WorldFixture.worlds().get(image);
        assertNotNull(w, image);
        CaptionOracle.Parsed p = CaptionOracle.parse(caption);
        assertFalse(p.nps().isEmpty(), () -> "no object named in \"" + caption + "\"");
        assertNull(CaptionOracle.falsity(p, w), () -> "\"" + caption + "\" for " + image + " " + w);
        // every shape and colour word is part of a phrase the parser checked
        for (int i = 0; i < p.words().size(); i++) {
            String word = p.words().get(i);
            if (ShapeKind.fromWord(word) != null || ShapeColor.fromWord(word) != null) {
                assertTrue(p.covered().contains(i), "unchecked word '" + word + "' in \"" + caption + "\"");
            }
        }
    }

    @Test
    void captionsMentionOnlyWhatIsInTheImage() {
        List<String[]> all = captions();
        assertTrue(all.size() > 900, "captions: " + all.size());
        Map<String, Integer> kinds = new HashMap<>();
        for (String[] c : all) {
            assertTrueOf(c[0], c[1]);
            CaptionOracle.Parsed p = CaptionOracle.parse(c[1]);
            kinds.merge("relation", p.relations().isEmpty() ? 0 : 1, Integer::sum);
            kinds.merge("position", p.regions().isEmpty() ? 0 : 1, Integer::sum);
            kinds.merge("background", p.background() == null ? 0 : 1, Integer::sum);
            kinds.merge("count", p.nps().stream().anyMatch(n -> n.count() > 1) ? 1 : 0, Integer::sum);
        }
        // the templates are all in use
        for (String k : List.of("relation", "position", "background", "count")) {
            assertTrue(kinds.get(k) > all.size() / 20, k + ": " + kinds);
        }
    }

    @Test
    void captionsAreShortLowerCaseAndFiveDifferentPerEvalImage() {
        for (String[] c : captions()) {
            assertEquals(c[1].toLowerCase(java.util.Locale.ROOT), c[1]);
            assertTrue(c[1].replace(",", "").trim().split("\\s+").length <= 20, c[1]);
        }
        for (String f : new String[] {"caption_val.json", "caption_test.json"}) {
            for (JsonNode r : WorldFixture.read(f)) {
                Set<String> refs = new HashSet<>();
                r.get("caption").forEach(c -> refs.add(c.asText()));
                assertEquals(5, refs.size(), r.toString());
            }
        }
    }

    @Test
    void webNoiseLabelsMatchTheNoiseApplied() {
        JsonNode labels = WorldFixture.read("web_noise_labels.json");
        JsonNode web = WorldFixture.read("web.json");
        assertEquals(web.size(), labels.size());
        Map<String, Integer> counts = new HashMap<>();
        Set<String> flippedAttributes = new HashSet<>();
        for (int i = 0; i < labels.size(); i++) {
            JsonNode l = labels.get(i);
            String image = l.get("image").asText();
            String caption = l.get("caption").asText();
            assertEquals(web.get(i).get("image").asText(), image);
            assertEquals(web.get(i).get("caption").asText(), caption);
            assertEquals(2, web.get(i).size(), "web.json carries no labels");
            String label = l.get("label").asText();
            counts.merge(label, 1, Integer::sum);
            WorldFixture.World w = WorldFixture.worlds().get(image);
            switch (label) {
                case "clean":
                    assertTrueOf(image, caption);
                    break;
                case "mismatched": {
                    assertNotNull(
                            CaptionOracle.falsity(CaptionOracle.parse(caption), w), caption + " is true of " + image);
                    assertTrueOf(l.get("source").asText(), caption);
                    break;
                }
                case "flipped": {
                    String original = l.get("original").asText();
                    assertTrueOf(image, original);
                    CaptionOracle.Parsed a = CaptionOracle.parse(original);
                    CaptionOracle.Parsed b = CaptionOracle.parse(caption);
                    assertNotNull(CaptionOracle.falsity(b, w), caption + " is true of " + image);
                    assertEquals(a.nps().size(), b.nps().size(), original + " / " + caption);
                    List<String> diffs = new ArrayList<>();
                    for (int k = 0; k < a.nps().size(); k++) {
                        String d = b.nps().get(k).differsFrom(a.nps().get(k));
                        if (!d.isEmpty()) {
                            diffs.add(d);
                        }
                    }
                    assertEquals(List.of(l.get("attribute").asText()), diffs, original + " / " + caption);
                    flippedAttributes.add(l.get("attribute").asText());
                    break;
                }
                case "junk":
                    for (String word :
                            caption.toLowerCase(java.util.Locale.ROOT).split("[^a-z]+")) {
                        assertNull(ShapeKind.fromWord(word), caption);
                        assertNull(ShapeColor.fromWord(word), caption);
                    }
                    break;
                default:
                    throw new AssertionError(label);
            }
        }
        int n = labels.size();
        int noisy = (int) Math.round(WorldFixture.CONFIG.noise() * n);
        assertEquals(n - noisy, counts.get("clean"));
        for (String k : List.of("mismatched", "flipped", "junk")) {
            assertTrue(Math.abs(counts.get(k) - noisy / 3.0) <= 1, counts.toString());
        }
        assertEquals(Set.of("color", "shape", "count"), flippedAttributes);
    }
}

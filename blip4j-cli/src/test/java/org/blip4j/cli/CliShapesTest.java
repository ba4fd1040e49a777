package org.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded {@code shapes} model from the command line: {@code --model shapes}, the default captioner, demo. */
class CliShapesTest {
    static final CliFixture FX = CliFixture.get();

    @Test
    void everyCommandAcceptsTheEmbeddedModel() {
        String img = FX.images().get(0).toString();
        CliFixture.Run cap = CliFixture.run("caption", "--model", "shapes", img).expect(0);
        assertEquals(1, cap.outLines().size(), cap.out());
        assertFalse(cap.outLines().get(0).isBlank());
        CliFixture.Run vqa = CliFixture.run("vqa", "--model", "shapes", img, "-q", "what color is the circle?")
                .expect(0);
        assertFalse(vqa.out().isBlank());
        CliFixture.Run itm = CliFixture.run("itm", "--model", "shapes", img, "-t", "a red circle", "--json")
                .expect(0);
        assertTrue(itm.out().contains("itm"), itm.out());
        // the embedded model's ITM is scored with [ENC] first, the token it was trained with; --match-token overrides
        CliFixture.Run enc = CliFixture.run(
                        "itm", "--model", "shapes", img, "-t", "a red circle", "--json", "--match-token", "ENC")
                .expect(0);
        CliFixture.Run cls = CliFixture.run(
                        "itm", "--model", "shapes", img, "-t", "a red circle", "--json", "--match-token", "CLS")
                .expect(0);
        assertEquals(enc.out(), itm.out());
        assertFalse(cls.out().equals(itm.out()), cls.out());
        CliFixture.Run part =
                CliFixture.run("caption", "-m", "shapes/caption", img).expect(0);
        assertEquals(cap.out(), part.out(), "plain 'shapes' is shapes/caption for caption");
    }

    @Test
    void aPartTheEmbeddedModelLacksIsAUsageError() {
        String img = FX.images().get(0).toString();
        CliFixture.Run r = CliFixture.run("nlvr", "--model", "shapes", img, img, "-s", "both show a circle");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("no nlvr part"), r.err());
        CliFixture.Run bad = CliFixture.run("caption", "-m", "shapes/nope", img);
        assertNotEquals(0, bad.code());
        assertTrue(bad.err().contains("shapes/retrieval"), bad.err());
        assertFalse(bad.hasStackTrace(), bad.err());
    }

    @Test
    void captionWithoutModelExplainsTheOfflineDefault() {
        // surefire runs this module with HF_HUB_OFFLINE=1 and an empty HF_HOME
        CliFixture.Run r = CliFixture.run("caption", FX.images().get(0).toString());
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains(ModelOptions.DEFAULT_CAPTIONER), r.err());
        assertTrue(r.err().contains("--model shapes"), r.err());
        assertFalse(r.hasStackTrace(), r.err());
        CliFixture.Run itm = CliFixture.run("itm", FX.images().get(0).toString(), "-t", "x");
        assertEquals(2, itm.code(), "other commands still require --model");
        assertTrue(itm.err().contains("--model"), itm.err());
    }

    @Test
    void demoPrintsEveryTaskAndWritesASelfContainedReport(@TempDir Path tmp) throws Exception {
        Path html = tmp.resolve("report.html");
        CliFixture.Run r = CliFixture.run("demo", "--images", "3", "--out", html.toString())
                .expect(0);
        for (String section : List.of(
                "Captions",
                "question answering",
                "search",
                "matching",
                "answers right",
                "captions true of their scene",
                "the top result satisfies the query",
                "test split")) {
            assertTrue(r.out().contains(section), r.out());
        }
        String page = Files.readString(html);
        assertTrue(page.split("data:image/png;base64,", -1).length - 1 >= 3, "images inline");
        assertTrue(page.contains("<h2>Text → image search</h2>"));
        assertEquals("", r.err().strip(), r.err());

        // every caption, answer, search result and ITM score is marked against the scene's truth
        List<String> lines = r.outLines();
        int captions = lines.indexOf("== Captions (beam search), checked against the scene ==");
        for (int i = 1; i <= 3; i++) {
            String line = lines.get(captions + 2 * i - 1);
            assertTrue(line.contains("✓ true") || line.contains("✗ "), line);
        }
        List<String> searches = lines.stream()
                .filter(l -> l.startsWith("\"") && l.contains("\" → "))
                .toList();
        assertEquals(2, searches.size(), r.out());
        assertTrue(searches.stream().allMatch(l -> l.contains("✓") || l.contains("✗")), r.out());
        assertTrue(lines.stream().filter(l -> l.contains("model says")).count() == 2, r.out());
        long answers = lines.stream().filter(l -> l.contains("?")).count();
        assertTrue(answers >= 3, r.out());
        assertEquals(
                answers,
                lines.stream()
                        .filter(l -> l.contains("?") && (l.endsWith("✓") || l.contains("✗ (truth: ")))
                        .count(),
                r.out());

        // the shipped test-split figures, with the command that measured them
        com.fasterxml.jackson.databind.JsonNode cap = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(Path.of("..", "models", "shapes", "eval_caption.json").toFile());
        String cider = String.format(
                java.util.Locale.ROOT, "CIDEr %.1f", cap.get("CIDEr").asDouble() * 100);
        assertTrue(r.out().contains(cider), cider + " in " + r.out());
        assertTrue(page.contains(cider) && page.contains("<h2>Test-split figures</h2>"));
        assertTrue(page.contains("blip4j eval caption -m models/shapes/caption --data data/shapes/caption_test.json"));
        assertTrue(page.contains("blip4j eval vqa -m models/shapes/vqa"));

        // a fresh seed each run, printed: the scenes shown are the shapes world's test split of that seed
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("--seed (\\d+) --images 3").matcher(r.out());
        assertTrue(m.find(), r.out());
        org.blip4j.shapes.ShapesGenerator.generate(
                org.blip4j.shapes.ShapesConfig.defaults(Long.parseLong(m.group(1)))
                        .withNlvr(0, 0)
                        .withSizes(0, 0, 3, 0)
                        .withPerImage(5, 2)
                        .withThreads(1),
                tmp.resolve("world"),
                null);
        com.fasterxml.jackson.databind.JsonNode refs = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(tmp.resolve("world/caption_test.json").toFile());
        for (int i = 0; i < 3; i++) {
            String reference = refs.get(i).get("caption").get(0).asText();
            assertEquals(
                    "(a true reference: " + reference + ")",
                    lines.get(captions + 2 * i + 2).strip(),
                    r.out());
        }
    }
}

package org.blip4j.capfilt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The filter audit counts by hand: precision and recall of "removed" as a noisy-text detector. */
class NoiseAuditTest {
    @TempDir
    Path out;

    @Test
    void precisionRecallAndPerLabelCountsMatchAHandCount() throws Exception {
        Files.createDirectories(out.resolve(CapFilt.DECISIONS));
        Files.writeString(
                out.resolve(CapFilt.DECISIONS).resolve("part-00000.jsonl"),
                String.join(
                                "\n",
                                row("a.png", "clean one", "web", true),
                                row("a.png", "synthetic a", "synthetic", true),
                                row("b.png", "clean two", "web", false),
                                row("b.png", "synthetic b", "synthetic", false),
                                row("c.png", "junk.jpg", "web", false),
                                row("d.png", "a red star", "web", false),
                                row("e.png", "another image's text", "web", true))
                        + "\n");
        Files.writeString(
                out.resolve(CapFilt.DECISIONS).resolve("part-00001.jsonl"),
                "{\"index\":5,\"image\":\"f.png\",\"error\":\"unreadable\"}\n");
        Path labels = out.resolve("labels.json");
        Files.writeString(
                labels,
                "[{\"image\":\"a.png\",\"caption\":\"clean one\",\"label\":\"clean\"},"
                        + "{\"image\":\"b.png\",\"caption\":\"clean two\",\"label\":\"clean\"},"
                        + "{\"image\":\"c.png\",\"caption\":\"junk.jpg\",\"label\":\"junk\"},"
                        + "{\"image\":\"d.png\",\"caption\":\"a red star\",\"label\":\"flipped\"},"
                        + "{\"image\":\"e.png\",\"caption\":\"another image's text\",\"label\":\"mismatched\"}]");
        NoiseAudit.Result r = NoiseAudit.audit(out, labels);
        // removed: clean two, junk.jpg, a red star -> 2 of 3 noisy; noisy: junk, flipped, mismatched -> 2 of 3 removed
        assertEquals(2.0 / 3, r.precision(), 1e-12);
        assertEquals(2.0 / 3, r.recall(), 1e-12);
        assertArrayEquals(new long[] {1, 2}, r.removedByLabel().get("clean"));
        assertArrayEquals(new long[] {0, 1}, r.removedByLabel().get("mismatched"));
        assertEquals(1, r.syntheticKept());
        assertEquals(2, r.syntheticTotal());
    }

    @Test
    void anUnlabelledWebTextOrAMissingRunIsAnErrorNamingTheFile() throws Exception {
        Files.createDirectories(out.resolve(CapFilt.DECISIONS));
        Files.writeString(out.resolve(CapFilt.DECISIONS).resolve("part-00000.jsonl"), row("x.png", "t", "web", true));
        Path labels = out.resolve("labels.json");
        Files.writeString(labels, "[]");
        IOException e = assertThrows(IOException.class, () -> NoiseAudit.audit(out, labels));
        assertTrue(e.getMessage().contains("part-00000.jsonl") && e.getMessage().contains("x.png"), e.getMessage());
        IOException e2 = assertThrows(IOException.class, () -> NoiseAudit.audit(out.resolve("nope"), labels));
        assertTrue(e2.getMessage().contains("decisions"), e2.getMessage());
    }

    private static String row(String image, String text, String source, boolean kept) {
        return "{\"index\":0,\"image\":\"" + image + "\",\"text\":\"" + text + "\",\"source\":\"" + source
                + "\",\"itm_probability\":0.5,\"kept\":" + kept + "}";
    }
}

package org.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code blip4j capfilt}: output files, summary, exit codes (1 with rejected images, 2 on usage errors), resume guard. */
class CliCapfiltTest {
    static final CliFixture FX = CliFixture.get();

    @TempDir
    Path tmp;

    /** Web pairs: each fixture image with each manifest caption, plus optionally a missing image. */
    Path web(boolean withMissing) throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<String> captions = FX.strings("preset_config", "captions");
        StringBuilder lines = new StringBuilder();
        for (Path img : FX.images()) {
            for (String c : captions) {
                lines.append(json.writeValueAsString(
                                java.util.Map.of("image", img.getFileName().toString(), "caption", c)))
                        .append('\n');
            }
        }
        if (withMissing) {
            lines.append("{\"image\": \"nowhere.png\", \"caption\": \"a cat\"}\n");
        }
        Path f = tmp.resolve(withMissing ? "web-missing.jsonl" : "web.jsonl");
        Files.writeString(f, lines);
        return f;
    }

    List<String> args(Path web, Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of(
                "capfilt",
                "--captioner",
                FX.file("blip_decoder.pth").toString(),
                "--filter",
                FX.file("blip_itm.pth").toString(),
                "--web",
                web.toString(),
                "--images",
                FX.dir.toString(),
                "--out",
                out.toString(),
                "--shard-size",
                "4",
                "--batch-size",
                "3",
                "--examples",
                "3"));
        a.addAll(List.of(extra));
        return a;
    }

    @Test
    void writesTheOutputsAndExitsOneWhenAnImageIsRejected() throws Exception {
        Path out = tmp.resolve("out");
        CliFixture.Run r = CliFixture.run(args(web(true), out, "--captions-per-image", "2", "--seed", "3"))
                .expect(1);
        int pairs = FX.images().size() * FX.strings("preset_config", "captions").size();
        assertTrue(r.out().contains("items " + (pairs + 1) + ": scored " + pairs + ", rejected 1"), r.out());
        assertTrue(r.err().contains("item " + pairs + " (nowhere.png): file not found"), r.err());
        assertTrue(r.err().contains("pairs/s"), r.err());
        assertFalse(r.hasStackTrace(), r.err());
        for (String f : List.of(
                "bootstrapped.json",
                "rejects.jsonl",
                "report.json",
                "itm_histogram.png",
                "examples.html",
                "progress.json",
                "decisions/part-00000.jsonl")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        ObjectMapper json = new ObjectMapper();
        JsonNode report = json.readTree(out.resolve("report.json").toFile());
        assertEquals(pairs, report.at("/web/texts").asInt());
        assertEquals(2 * pairs, report.at("/synthetic/texts").asInt());
        JsonNode boot = json.readTree(out.resolve("bootstrapped.json").toFile());
        assertEquals(report.get("bootstrapped").asInt(), boot.size());
        assertTrue(r.out().contains("bootstrapped.json: " + boot.size() + " entries"), r.out());

        // the same command again: the run is complete, nothing changes; other settings are a usage error
        byte[] before = Files.readAllBytes(out.resolve("bootstrapped.json"));
        CliFixture.Run again = CliFixture.run(args(web(true), out, "--captions-per-image", "2", "--seed", "3"))
                .expect(1);
        assertTrue(again.out().contains("nothing to do"), again.out());
        assertEquals(new String(before), Files.readString(out.resolve("bootstrapped.json")));
        CliFixture.Run other = CliFixture.run(args(web(true), out, "--captions-per-image", "2", "--seed", "4"))
                .expect(2);
        assertTrue(other.err().contains("seed"), other.err());
    }

    @Test
    void cleanRunWithHumanAnnotationsAndBeamExitsZero() throws Exception {
        Path human = tmp.resolve("human.jsonl");
        Files.writeString(human, "{\"image\": \"coco/1.jpg\", \"caption\": \"a man riding a horse\"}\n");
        Path out = tmp.resolve("clean");
        CliFixture.Run r = CliFixture.run(
                        args(web(false), out, "--beam", "--human", human.toString(), "--match-token", "ENC"))
                .expect(0);
        assertTrue(r.out().contains("human 1"), r.out());
        JsonNode boot =
                new ObjectMapper().readTree(out.resolve("bootstrapped.json").toFile());
        assertEquals("coco/1.jpg", boot.get(0).get("image").asText());
        assertEquals("", Files.readString(out.resolve("rejects.jsonl")));
    }

    @Test
    void usageErrorsExitTwo() throws Exception {
        CliFixture.Run r = CliFixture.run("capfilt", "--captioner", "x", "--filter", "y", "--images", ".", "--out", "o")
                .expect(2);
        assertTrue(r.err().contains("--web"), r.err());
        CliFixture.run(args(web(false), tmp.resolve("o1"), "--threshold", "1.5"))
                .expect(2);
        CliFixture.run(args(web(false), tmp.resolve("o2"), "--batch-size", "0")).expect(2);
        CliFixture.run(args(web(false), tmp.resolve("o3"), "--beam", "--captions-per-image", "0"))
                .expect(2);
    }

    @Test
    void helpHasExamples() {
        CliFixture.Run r = CliFixture.run("capfilt", "--help").expect(0);
        assertTrue(r.out().contains("Examples:") && r.out().contains("Usage: blip4j capfilt"), r.out());
        assertTrue(CliFixture.run("--help").expect(0).out().contains("capfilt"));
    }
}

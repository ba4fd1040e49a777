package org.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code blip4j data shapes}: writes the world, refuses to mix runs, validates options, documents itself. */
class DataShapesCliTest {
    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    static String[] tiny(Path dir, String... extra) {
        List<String> a = new ArrayList<>(List.of(
                "data",
                "shapes",
                "--seed",
                "5",
                "--out",
                dir.toString(),
                "--train",
                "8",
                "--val",
                "2",
                "--test",
                "4",
                "--web",
                "6",
                "--nlvr-train",
                "4",
                "--nlvr-test",
                "2",
                "--threads",
                "2"));
        // later options replace earlier ones (picocli takes each option once)
        for (int i = 0; i < extra.length; i++) {
            int at = a.indexOf(extra[i]);
            boolean flag = extra[i].equals("--force") || extra[i].equals("--no-antialias");
            if (at >= 0 && !flag) {
                a.set(at + 1, extra[++i]);
            } else {
                a.add(extra[i]);
                if (!flag) {
                    a.add(extra[++i]);
                }
            }
        }
        return a.toArray(new String[0]);
    }

    @Test
    void writesTheWorld(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("shapes");
        Result r = run(tiny(out));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("20 images"), r.out());
        for (String f : List.of(
                "pretrain_human.json",
                "web.json",
                "web_noise_labels.json",
                "caption_train.json",
                "caption_val.json",
                "caption_test.json",
                "caption_test_gt.json",
                "vqa_train.json",
                "vqa_test.json",
                "answer_list.json",
                "nlvr_train.json",
                "nlvr_test.json",
                "README.md",
                "vocab.txt")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        assertTrue(Files.isRegularFile(out.resolve("images/train/train_000007.png")));
        byte[] readme = Files.readAllBytes(out.resolve("README.md"));

        // a second run into the same folder needs --force, and then gives the same files
        Result again = run(tiny(out));
        assertEquals(2, again.code());
        assertTrue(again.err().contains("--force"), again.err());
        Result forced = run(tiny(out, "--force", "--threads", "1"));
        assertEquals(0, forced.code(), forced.err());
        assertArrayEquals(readme, Files.readAllBytes(out.resolve("README.md")));

        // --force after a larger run leaves no stale images
        Result smaller = run(tiny(out, "--force", "--train", "3"));
        assertEquals(0, smaller.code(), smaller.err());
        try (var s = Files.list(out.resolve("images/train"))) {
            assertEquals(3, s.count());
        }
    }

    @Test
    void badOptionsAreUsageErrors(@TempDir Path tmp) {
        assertEquals(2, run(tiny(tmp.resolve("a"), "--noise", "1.5")).code());
        assertEquals(2, run(tiny(tmp.resolve("b"), "--size", "8")).code());
        assertEquals(2, run("data", "shapes", "--seed", "1").code());
        Result none = run("data");
        assertEquals(2, none.code());
        assertTrue(none.err().contains("shapes"), none.err());
    }

    @Test
    void renderingVariants(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("plain");
        Result r = run(tiny(out, "--no-antialias", "--jitter", "0.12", "--backgrounds", "solid", "--max-objects", "3"));
        assertEquals(0, r.code(), r.err());
        var config = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(out.resolve("manifest.json").toFile())
                .get("config");
        assertEquals(false, config.get("antialias").asBoolean());
        assertEquals(0.12, config.get("jitter").asDouble());
        assertEquals("solid", config.get("backgrounds").asText());
        assertEquals(3, config.get("max_objects").asInt());
        for (var scene : new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(out.resolve("scenes.json").toFile())) {
            assertEquals("solid", scene.get("background").get("kind").asText());
            assertTrue(scene.get("objects").size() <= 3);
        }
        assertEquals(2, run(tiny(tmp.resolve("a"), "--jitter", "0.5")).code());
        Result bad = run(tiny(tmp.resolve("b"), "--backgrounds", "striped"));
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--backgrounds must be all or solid"), bad.err());
    }

    @Test
    void helpShowsOptionsAndExamples() {
        Result r = run("data", "shapes", "--help");
        assertEquals(0, r.code());
        for (String s : List.of(
                "--seed",
                "--out",
                "--size",
                "--train",
                "--val",
                "--test",
                "--web",
                "--noise",
                "--threads",
                "--no-antialias",
                "--jitter",
                "--backgrounds",
                "Examples:",
                "blip4j data shapes --seed 1 --out data/shapes")) {
            assertTrue(r.out().contains(s), s);
        }
        assertTrue(run("--help").out().contains("data"));
    }
}

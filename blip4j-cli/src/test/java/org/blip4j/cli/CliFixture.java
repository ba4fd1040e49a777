package org.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The reference fixture as the CLI tests see it (system property {@code blip4j.fixture}); missing files fail. */
final class CliFixture {
    private static CliFixture instance;

    final Path dir;
    final JsonNode manifest;

    private CliFixture(Path dir) throws IOException {
        this.dir = dir;
        this.manifest = new ObjectMapper().readTree(file("manifest.json").toFile());
    }

    static synchronized CliFixture get() {
        if (instance == null) {
            String p = System.getProperty("blip4j.fixture", "../shared/fixtures/blip-tiny");
            Path dir = Paths.get(p).toAbsolutePath().normalize();
            if (!Files.isDirectory(dir)) {
                // surefire runs in the module folder; the default is relative to the repository root
                Path alt = Paths.get("..").resolve(p).toAbsolutePath().normalize();
                if (!Files.isDirectory(alt)) {
                    fail("fixture directory not found: " + dir + " (set -Dblip4j.fixture=DIR)");
                }
                dir = alt;
            }
            try {
                instance = new CliFixture(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return instance;
    }

    /** A fixture file that must exist. */
    Path file(String name) {
        Path f = dir.resolve(name);
        if (!Files.isRegularFile(f)) {
            fail("fixture file missing: " + f);
        }
        return f;
    }

    /** The input images, in the order of {@code preset_config.images}. */
    List<Path> images() {
        List<Path> out = new ArrayList<>();
        for (JsonNode img : node("preset_config", "images")) {
            out.add(file(img.isArray() ? img.get(0).asText() : img.asText()));
        }
        assertTrue(!out.isEmpty(), "manifest lists no images");
        return out;
    }

    List<String> strings(String... path) {
        List<String> out = new ArrayList<>();
        node(path).forEach(n -> out.add(n.asText()));
        return out;
    }

    /** {@code texts.<name>}: the reference's decoded outputs. */
    List<String> texts(String name) {
        return strings("texts", name);
    }

    JsonNode node(String... path) {
        JsonNode n = manifest;
        for (String k : path) {
            n = n.path(k);
        }
        if (n.isMissingNode()) {
            fail("manifest.json has no " + String.join(".", path));
        }
        return n;
    }

    /** An integer generation setting ({@code max_length=20}) parsed from a golden tensor's description. */
    int setting(String golden, String key) {
        String desc = node("tensors", golden, "desc").asText();
        Matcher m = Pattern.compile("\\b" + Pattern.quote(key) + "=(\\d+)").matcher(desc);
        if (!m.find()) {
            fail("no " + key + " in the description of " + golden + ": " + desc);
        }
        return Integer.parseInt(m.group(1));
    }

    /** What one CLI run printed and returned. */
    record Run(int code, String out, String err) {
        List<String> outLines() {
            return out.lines().filter(l -> !l.isBlank()).toList();
        }

        List<String> errLines() {
            return err.lines().filter(l -> !l.isBlank()).toList();
        }

        boolean hasStackTrace() {
            return err.contains("\tat ");
        }

        /** Asserts the exit code, showing both streams on failure. */
        Run expect(int expected) {
            assertEquals(expected, code, () -> "exit code; stdout:\n" + out + "\nstderr:\n" + err);
            return this;
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    static Run run(List<String> args) {
        return run(args.toArray(String[]::new));
    }

    static JsonNode json(String line) {
        try {
            return new ObjectMapper().readTree(line);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }
}

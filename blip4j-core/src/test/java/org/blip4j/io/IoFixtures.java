package org.blip4j.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.function.Executable;

/** Locates the blip-tiny fixture (system property blip4j.fixture) and fails, never skips, when a file is missing. */
final class IoFixtures {
    private IoFixtures() {}

    static Path dir() {
        String prop = System.getProperty("blip4j.fixture", "../shared/fixtures/blip-tiny");
        Path p = Path.of(prop);
        if (!p.isAbsolute() && !Files.isDirectory(p)) {
            // the default is relative to the repository root; surefire runs in the module folder
            Path parent = Path.of("").toAbsolutePath().getParent();
            if (parent != null && Files.isDirectory(parent.resolve(prop))) {
                p = parent.resolve(prop);
            }
        }
        if (!Files.isDirectory(p)) {
            fail("fixture directory not found: " + p.toAbsolutePath() + " (set -Dblip4j.fixture)");
        }
        return p;
    }

    static Path file(String name) {
        Path f = dir().resolve(name);
        if (!Files.isRegularFile(f)) {
            fail("fixture file missing: " + f.toAbsolutePath());
        }
        return f;
    }

    static JsonNode manifest() throws IOException {
        return new ObjectMapper().readTree(file("manifest.json").toFile());
    }

    /** Asserts that the call fails with a CheckpointFormatException whose message names the file; returns it. */
    static String failure(Path file, Executable call) {
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, call);
        if (!e.getMessage().startsWith(file.toString())) {
            fail("message does not start with the file name " + file + ": " + e.getMessage());
        }
        return e.getMessage();
    }
}

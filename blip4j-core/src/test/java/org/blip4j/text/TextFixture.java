package org.blip4j.text;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the parity fixture (system property {@code blip4j.fixture}); a missing file fails the test. */
final class TextFixture {
    static final ObjectMapper JSON = new ObjectMapper();

    private TextFixture() {}

    static Path dir() {
        String p = System.getProperty("blip4j.fixture");
        if (p == null || p.isBlank()) {
            fail("system property blip4j.fixture is not set");
        }
        Path d = Path.of(p);
        assertTrue(Files.isDirectory(d), "fixture directory missing: " + d);
        return d;
    }

    static Path file(String name) {
        Path f = dir().resolve(name);
        assertTrue(Files.isRegularFile(f), "fixture file missing: " + f);
        return f;
    }

    /** A required section of manifest.json. */
    static JsonNode manifest(String section) throws IOException {
        JsonNode n = JSON.readTree(file("manifest.json").toFile()).get(section);
        if (n == null || n.isNull()) {
            fail("manifest.json has no section " + section);
        }
        return n;
    }
}

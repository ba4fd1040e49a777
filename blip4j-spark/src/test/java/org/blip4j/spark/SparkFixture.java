package org.blip4j.spark;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;

/**
 * Test data from the reference fixture (its images and captions, from manifest.json's preset_config) and a local
 * Spark session configured for fast tests.
 */
final class SparkFixture {
    static final ObjectMapper JSON = new ObjectMapper();
    /** Web items of the CapFilt data set; item 5's image is missing and item 11's corrupt. */
    static final int ITEMS = 18;

    static final long MISSING = 5;
    static final long CORRUPT = 11;

    private SparkFixture() {}

    /** The fixture folder (system property {@code blip4j.fixture}, relative to the module or the repository root). */
    static Path dir() {
        String p = System.getProperty("blip4j.fixture", "../shared/fixtures/blip-tiny");
        Path d = Paths.get(p).toAbsolutePath().normalize();
        if (!Files.isDirectory(d)) {
            d = Paths.get("..").resolve(p).toAbsolutePath().normalize();
        }
        if (!Files.isRegularFile(d.resolve("manifest.json"))) {
            fail("fixture directory not found: " + p + " (set -Dblip4j.fixture=DIR)");
        }
        return d;
    }

    static Path captioner() {
        return dir().resolve("blip_decoder.pth");
    }

    static Path filter() {
        return dir().resolve("blip_itm.pth");
    }

    static List<String> imageNames() throws IOException {
        List<String> names = new ArrayList<>();
        preset().path("images").forEach(n -> names.add(n.isArray() ? n.get(0).asText() : n.asText()));
        return names;
    }

    static List<String> captions() throws IOException {
        List<String> c = new ArrayList<>();
        preset().path("captions").forEach(n -> c.add(n.asText()));
        return c;
    }

    private static JsonNode preset() throws IOException {
        return JSON.readTree(dir().resolve("manifest.json").toFile()).path("preset_config");
    }

    /** Copies the fixture images into {@code dir}, plus a truncated PNG {@code corrupt.png}. */
    static Path images(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String n : imageNames()) {
            Files.copy(dir().resolve(n), dir.resolve(n));
        }
        Files.write(
                dir.resolve("corrupt.png"),
                new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 13, 'I', 'H', 'D', 'R', 1, 2, 3});
        return dir;
    }

    /**
     * The noisy web pairs of the single-machine CapFilt tests: the fixture images repeated, matching captions on even
     * items and foreign ones on odd items, one entry with a list of two captions, a missing and a corrupt image.
     */
    static ArrayNode web() throws IOException {
        List<String> names = imageNames();
        List<String> caps = captions();
        ArrayNode web = JSON.createArrayNode();
        int usable = 0;
        for (int i = 0; i < ITEMS; i++) {
            ObjectNode e = web.addObject();
            if (i == MISSING) {
                e.put("image", "missing.png");
                e.put("caption", caps.get(0));
            } else if (i == CORRUPT) {
                e.put("image", "corrupt.png");
                e.put("caption", caps.get(0));
            } else {
                int img = usable % names.size();
                int cap = (usable % 2 == 0 ? img : img + 1) % caps.size();
                e.put("image", names.get(img));
                if (usable == 7) {
                    e.putArray("caption").add(caps.get(cap)).add(caps.get((cap + 2) % caps.size()));
                } else {
                    e.put("caption", caps.get(cap));
                }
                usable++;
            }
        }
        return web;
    }

    static Path writeArray(Path file, ArrayNode rows) throws IOException {
        JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), rows);
        return file;
    }

    static Path writeLines(Path file, ArrayNode rows) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (JsonNode r : rows) {
            sb.append(JSON.writeValueAsString(r)).append('\n');
        }
        Files.writeString(file, sb);
        return file;
    }

    /** A local session for tests: no UI, few shuffle partitions, loopback only. */
    static SparkSession session(String master) {
        return SparkSession.builder()
                .master(master)
                .appName("blip4j-spark-test")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.driver.host", "127.0.0.1")
                .getOrCreate();
    }

    /** The rows of a JSON Lines output folder: its part files in name order, concatenated. */
    static List<JsonNode> rows(Path folder) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : text(folder).split("\n")) {
            if (!line.isBlank()) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    /** The concatenated text of a JSON output folder's part files in name order. */
    static String text(Path folder) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("part-"))
                    .sorted()
                    .toList()) {
                sb.append(Files.readString(f));
            }
        }
        return sb.toString();
    }
}

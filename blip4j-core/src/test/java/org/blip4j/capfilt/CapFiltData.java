package org.blip4j.capfilt;

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
import org.blip4j.Blip;

/**
 * A small noisy web dataset built from the fixture (images and captions read from manifest.json preset_config):
 * 16 usable items (the fixture images repeated, each with a matching or a foreign caption, one with a list of two
 * captions), one missing and one corrupt image; plus human annotations with an extra key.
 */
record CapFiltData(
        Path dir,
        Path web,
        Path webLines,
        Path images,
        Path human,
        Path captioner,
        Path filter,
        int items,
        List<Long> missing,
        List<Long> corrupt) {
    static final int ITEMS = 18;
    static final long MISSING = 5;
    static final long CORRUPT = 11;

    /** The fixture folder (system property {@code blip4j.fixture}, relative to the module or the repository root). */
    static Path fixtureDir() {
        String p = System.getProperty("blip4j.fixture", "../shared/fixtures/blip-tiny");
        Path dir = Paths.get(p).toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            dir = Paths.get("..").resolve(p).toAbsolutePath().normalize();
        }
        if (!Files.isRegularFile(dir.resolve("manifest.json"))) {
            fail("fixture directory not found: " + p + " (set -Dblip4j.fixture=DIR)");
        }
        return dir;
    }

    static CapFiltData create(Path dir) throws IOException {
        Path fx = fixtureDir();
        ObjectMapper json = new ObjectMapper();
        JsonNode preset = json.readTree(fx.resolve("manifest.json").toFile()).path("preset_config");
        List<String> names = new ArrayList<>();
        preset.path("images").forEach(n -> names.add(n.isArray() ? n.get(0).asText() : n.asText()));
        List<String> captions = new ArrayList<>();
        preset.path("captions").forEach(n -> captions.add(n.asText()));
        if (names.isEmpty() || captions.isEmpty()) {
            throw new IllegalStateException("manifest.json preset_config lists no images or captions");
        }
        Path images = Files.createDirectories(dir.resolve("images"));
        for (String n : names) {
            Files.copy(fx.resolve(n), images.resolve(n));
        }
        Files.write(
                images.resolve("corrupt.png"),
                new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 13, 'I', 'H', 'D', 'R', 1, 2, 3});
        ArrayNode web = json.createArrayNode();
        int usable = 0;
        for (int i = 0; i < ITEMS; i++) {
            ObjectNode e = web.addObject();
            if (i == MISSING) {
                e.put("image", "missing.png");
                e.put("caption", captions.get(0));
            } else if (i == CORRUPT) {
                e.put("image", "corrupt.png");
                e.put("caption", captions.get(0));
            } else {
                int img = usable % names.size();
                // matching caption on even items, another image's caption on odd ones
                int cap = (usable % 2 == 0 ? img : img + 1) % captions.size();
                e.put("image", names.get(img));
                if (usable == 7) {
                    e.putArray("caption").add(captions.get(cap)).add(captions.get((cap + 2) % captions.size()));
                } else {
                    e.put("caption", captions.get(cap));
                }
                usable++;
            }
        }
        Path webJson = dir.resolve("web.json");
        json.writerWithDefaultPrettyPrinter().writeValue(webJson.toFile(), web);
        Path webLines = dir.resolve("web.jsonl");
        StringBuilder lines = new StringBuilder();
        for (JsonNode e : web) {
            lines.append(json.writeValueAsString(e)).append('\n');
        }
        Files.writeString(webLines, lines);
        Path human = dir.resolve("human.json");
        Files.writeString(
                human,
                "[\n {\"image\": \"/data/coco/1.jpg\", \"caption\": \"" + captions.get(0)
                        + "\", \"image_id\": 7},\n {\"image\": \"/data/coco/2.jpg\", \"caption\": [\"x\", \"y\"]}\n]\n");
        return new CapFiltData(
                dir,
                webJson,
                webLines,
                images,
                human,
                fx.resolve("blip_decoder.pth"),
                fx.resolve("blip_itm.pth"),
                ITEMS,
                List.of(MISSING),
                List.of(CORRUPT));
    }

    /** The settings every test run uses unless it says otherwise: 2 sampled captions, batches of 3, shards of 4. */
    CapFilt.Options options() {
        return CapFilt.Options.defaults()
                .withCaptionsPerImage(2)
                .withBatchSize(3)
                .withShardSize(4)
                .withSeed(7)
                .withExamples(5)
                .withHuman(human)
                .withMatchToken(Blip.MatchToken.CLS);
    }
}

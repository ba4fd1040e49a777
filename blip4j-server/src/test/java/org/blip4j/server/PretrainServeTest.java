package org.blip4j.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.blip4j.Blip;
import org.blip4j.image.RgbImage;
import org.junit.jupiter.api.Test;

/**
 * A pre-training checkpoint of the reference fixture (system property {@code blip4j.fixture}) is served for both
 * captioning and matching, with the library's results; an NLVR2 checkpoint is refused at start-up.
 */
class PretrainServeTest {
    static Path fixture() {
        Path p = Path.of(System.getProperty("blip4j.fixture", "../shared/fixtures/blip-tiny"));
        Path dir = Files.isDirectory(p) ? p : Path.of("..").resolve(p);
        assertTrue(Files.isRegularFile(dir.resolve("manifest.json")), "fixture not found: " + p);
        return dir;
    }

    @Test
    void aPretrainingCheckpointCaptionsAndMatches() throws Exception {
        Path fx = fixture();
        Path weights = fx.resolve("blip_pretrain.pth");
        ServerConfig cfg = ServerConfig.defaults()
                .withPort(0)
                .withModels(List.of(new ServerConfig.ModelSpec("pre", weights.toString())));
        JsonNode manifest = Http.JSON.readTree(fx.resolve("manifest.json").toFile());
        JsonNode first = manifest.path("preset_config").path("images").get(0);
        byte[] png =
                Files.readAllBytes(fx.resolve(first.isArray() ? first.get(0).asText() : first.asText()));
        List<String> captions = new ArrayList<>();
        manifest.path("preset_config").path("captions").forEach(c -> captions.add(c.asText()));
        try (BlipServer s = BlipServer.start(cfg);
                Blip lib = Blip.load(weights)) {
            Http http = new Http(s);
            List<String> caps = new ArrayList<>();
            http.get("/v1/models")
                    .json()
                    .get("models")
                    .get(0)
                    .get("capabilities")
                    .forEach(c -> caps.add(c.asText()));
            assertTrue(caps.containsAll(List.of("caption", "itm", "itc", "embeddings", "search")), caps.toString());
            RgbImage img = s.loader().load(png, "fixture image");
            Http.Response cap =
                    http.postForm("/v1/caption", Map.of("image", png, "max_length", "12", "min_length", "5"));
            assertEquals(200, cap.status(), cap.text());
            assertEquals(
                    lib.caption(
                                    List.of(img),
                                    Blip.CaptionOptions.defaults()
                                            .withGeneration(org.blip4j.generate.GenerationConfig.beam(3, 12, 5)))
                            .get(0),
                    cap.json().get("caption").asText());
            Http.Response itm = http.postForm("/v1/itm", Map.of("image", png, "texts", captions));
            assertEquals(200, itm.status(), itm.text());
            assertArrayEquals(
                    lib.itm(img, captions, Blip.MatchToken.CLS),
                    ApiTest.doubles(itm.json().get("scores")));
        }
    }

    @Test
    void anNlvrCheckpointIsRefusedAtStartUp() {
        Path weights = fixture().resolve("nlvr/blip_nlvr.pth");
        ServerConfig cfg = ServerConfig.defaults()
                .withPort(0)
                .withModels(List.of(new ServerConfig.ModelSpec("nlvr", weights.toString())));
        java.io.IOException e =
                org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> BlipServer.start(cfg));
        assertTrue(e.getMessage().contains("an NLVR2 model"), e.getMessage());
    }
}

package org.blip4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.blip4j.testutil.Fixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Both config layouts parse to the same sizes; broken configs get one message naming the file. */
class ConfigTest {
    @TempDir
    Path tmp;

    @Test
    void hfAndOriginalLayoutsAgree() throws Exception {
        try (Fixture fx = Fixture.open()) {
            BlipConfig hf = BlipConfig.readHf(fx.require("config.json"));
            BlipConfig orig = BlipConfig.readOriginal(fx.require("med_config.json"), hf.vision(), hf.embedDim());
            TextConfig a = hf.text();
            TextConfig b = orig.text();
            assertEquals(a.vocabSize(), b.vocabSize());
            assertEquals(a.hiddenSize(), b.hiddenSize());
            assertEquals(a.numLayers(), b.numLayers());
            assertEquals(a.numHeads(), b.numHeads());
            assertEquals(a.intermediateSize(), b.intermediateSize());
            assertEquals(a.maxPositions(), b.maxPositions());
            assertEquals(a.layerNormEps(), b.layerNormEps());
            assertEquals(hf.vision().hiddenSize(), b.encoderWidth(), "cross-attention reads the ViT width");
            var med = fx.manifest().path("med_config");
            assertEquals(med.path("vocab_size").asInt(), b.vocabSize());
            assertEquals(med.path("num_hidden_layers").asInt(), b.numLayers());
        }
    }

    @Test
    void presetsMatchTheReference() {
        VisionConfig b = VisionConfig.base(384);
        assertEquals(577, b.numTokens());
        assertEquals(1e-6, b.layerNormEps());
        VisionConfig l = VisionConfig.large(384);
        assertEquals(1024, l.hiddenSize());
        assertEquals(24, l.numLayers());
        assertEquals(16, l.numHeads());
        assertEquals(1024, BlipConfig.large(384).text().encoderWidth());
    }

    @Test
    void brokenConfigsNameTheFile() throws Exception {
        Path bad = tmp.resolve("config.json");
        Files.writeString(bad, "{\"text_config\": {}, ");
        var e = assertThrows(ConfigException.class, () -> BlipConfig.readHf(bad));
        assertTrue(
                e.getMessage().startsWith(bad.toString()) && e.getMessage().contains("invalid JSON"), e.getMessage());

        Files.writeString(
                bad, "{\"text_config\": {\"hidden_size\": 50, \"num_attention_heads\": 3}, \"vision_config\": {}}");
        e = assertThrows(ConfigException.class, () -> BlipConfig.readHf(bad));
        assertTrue(e.getMessage().contains("hidden_size 50 is not divisible by num_attention_heads 3"), e.getMessage());

        Files.writeString(bad, "{\"text_config\": {}, \"vision_config\": {\"image_size\": 100, \"patch_size\": 16}}");
        e = assertThrows(ConfigException.class, () -> BlipConfig.readHf(bad));
        assertTrue(e.getMessage().contains("not a multiple of patch_size"), e.getMessage());

        Files.writeString(bad, "{\"architectures\": [\"BertModel\"]}");
        e = assertThrows(ConfigException.class, () -> BlipConfig.readHf(bad));
        assertTrue(e.getMessage().contains("not a BLIP config"), e.getMessage());

        Files.writeString(bad, "{\"text_config\": {\"hidden_size\": \"wide\"}, \"vision_config\": {}}");
        e = assertThrows(ConfigException.class, () -> BlipConfig.readHf(bad));
        assertTrue(e.getMessage().contains("hidden_size must be an integer"), e.getMessage());

        var missing =
                assertThrows(java.io.FileNotFoundException.class, () -> BlipConfig.readHf(tmp.resolve("nope.json")));
        assertTrue(missing.getMessage().contains("nope.json"));
    }
}

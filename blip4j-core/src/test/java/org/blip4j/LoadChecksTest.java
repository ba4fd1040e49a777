package org.blip4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.blip4j.config.ConfigException;
import org.blip4j.engine.T;
import org.blip4j.io.RawTensor;
import org.blip4j.testutil.Fixture;
import org.blip4j.text.BertTokenizer;
import org.blip4j.weights.Checkpoints;
import org.blip4j.weights.ConfigCheck;
import org.blip4j.weights.WeightLoader;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a load refuses before it computes anything wrong or allocates what a file claims: an NLVR2 network without an
 * NLVR2 head, a config that does not fit its checkpoint, a tokenizer with ids past the embedding rows; and the
 * engine helpers that used to truncate or write unchecked.
 */
class LoadChecksTest {
    static Fixture fx;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void open() {
        fx = Fixture.open();
    }

    @AfterAll
    static void close() throws IOException {
        fx.close();
    }

    // ------------------------------------------------------------------ NLVR2 head

    @Test
    void nlvrTaskOnACheckpointWithoutNlvrHeadIsRefused() {
        Path itm = fx.require("blip_itm.pth");
        IOException e = assertThrows(
                IOException.class, () -> Blip.load(itm, Blip.Options.defaults().withTask(Task.NLVR)));
        assertTrue(e.getMessage().startsWith(itm.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("cls_head") && e.getMessage().contains("self0"), e.getMessage());
    }

    @Test
    void nlvrCheckpointLoadsAsNlvr() throws IOException {
        Path nlvr = fx.dir().resolve("nlvr").resolve("blip_nlvr.pth");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(nlvr), "fixture has no nlvr/ folder");
        try (Blip b = Blip.load(nlvr)) {
            assertEquals(Task.NLVR, b.task());
        }
    }

    // ------------------------------------------------------------------ config vs checkpoint

    /** A copy of the HF decoder model folder whose config.json is edited by {@code edit}. */
    static Path decoderWithConfig(String name, Consumer<ObjectNode> edit) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        ObjectNode cfg = (ObjectNode)
                new ObjectMapper().readTree(fx.require("config.json").toFile());
        edit.accept(cfg);
        new ObjectMapper().writeValue(dir.resolve("config.json").toFile(), cfg);
        Files.copy(fx.require("vocab.txt"), dir.resolve("vocab.txt"));
        Files.copy(fx.require("blip_decoder.hf.safetensors"), dir.resolve("model.safetensors"));
        return dir;
    }

    static String refused(Path dir) {
        ConfigException e = assertTimeoutPreemptively(
                Duration.ofSeconds(20), () -> assertThrows(ConfigException.class, () -> Blip.load(dir)));
        assertTrue(e.getMessage().startsWith(dir.resolve("config.json").toString()), e.getMessage());
        assertTrue(e.getMessage().contains(dir.resolve("model.safetensors").toString()), e.getMessage());
        return e.getMessage();
    }

    static ObjectNode text(ObjectNode cfg) {
        return (ObjectNode) cfg.get("text_config");
    }

    static ObjectNode vision(ObjectNode cfg) {
        return (ObjectNode) cfg.get("vision_config");
    }

    @Test
    void aBillionTextLayersFailFastNamingTheConfig() throws IOException {
        int layers = fx.manifest().path("preset_config").path("layers").asInt();
        String msg = refused(decoderWithConfig("layers", c -> text(c).put("num_hidden_layers", 1_000_000_000)));
        assertTrue(msg.contains("text num_hidden_layers is 1000000000 but the checkpoint has " + layers), msg);
    }

    @Test
    void aBillionVisionLayersFailFast() throws IOException {
        int depth = fx.manifest().path("preset_config").path("vit_depth").asInt();
        String msg = refused(decoderWithConfig("vit-layers", c -> vision(c).put("num_hidden_layers", 1_000_000_000)));
        assertTrue(msg.contains("vision num_hidden_layers is 1000000000 but the checkpoint has " + depth), msg);
    }

    @Test
    void widthsVocabularyAndPositionsMustMatchTheTensors() throws IOException {
        int hidden = fx.manifest().path("preset_config").path("hidden").asInt();
        int vocab = text((ObjectNode)
                        new ObjectMapper().readTree(fx.require("config.json").toFile()))
                .get("vocab_size")
                .asInt();
        String msg = refused(decoderWithConfig("sizes", c -> {
            text(c).put("hidden_size", hidden * 2)
                    .put("vocab_size", vocab * 1000)
                    .put("max_position_embeddings", 1 << 15)
                    .put("intermediate_size", 1 << 20);
            vision(c).put("hidden_size", 3 * 4096).put("intermediate_size", 1 << 20);
        }));
        for (String what : List.of(
                "text hidden_size is " + hidden * 2,
                "text vocab_size is " + vocab * 1000,
                "text max_position_embeddings is 32768",
                "text intermediate_size is 1048576",
                "vision hidden_size is 12288",
                "vision intermediate_size is 1048576")) {
            assertTrue(msg.contains(what), what + " in: " + msg);
        }
    }

    @Test
    void absurdImageSizeFailsBeforeThePositionEmbeddingIsResized() throws IOException {
        String msg = refused(decoderWithConfig("image", c -> vision(c).put("image_size", 160_000)));
        assertTrue(msg.contains("patches per image"), msg);
    }

    @Test
    void patchSizeMustMatchThePatchEmbedding() throws IOException {
        int patch = fx.manifest().path("preset_config").path("patch").asInt();
        String msg = refused(decoderWithConfig("patch", c -> vision(c).put("patch_size", patch * 2)));
        assertTrue(msg.contains("vision patch_size is " + patch * 2), msg);
    }

    @Test
    void missingLayerIndicesAreNamed() throws IOException {
        Map<String, RawTensor> sd = WeightLoader.canonical(Checkpoints.read(fx.require("blip_decoder.pth")));
        Map<String, RawTensor> holes = new java.util.LinkedHashMap<>();
        sd.forEach((k, v) -> {
            if (!k.startsWith("text_decoder.bert.encoder.layer.0.")) {
                holes.put(k, v);
            }
        });
        var c = org.blip4j.config.BlipConfig.readHf(fx.require("config.json"));
        ConfigException e = assertThrows(
                ConfigException.class, () -> ConfigCheck.check(c, holes, Path.of("config.json"), Path.of("w.pth")));
        assertTrue(e.getMessage().contains("skip indices"), e.getMessage());
        ConfigCheck.check(c, sd, Path.of("config.json"), Path.of("w.pth")); // the true pair passes
    }

    // ------------------------------------------------------------------ tokenizer vs embedding rows

    @Test
    void tokenizerLargerThanTheEmbeddingIsRefusedNamingBothFiles() throws IOException {
        Path dir = decoderWithConfig("tokenizer", c -> {});
        List<String> words = Files.readAllLines(fx.require("vocab.txt"));
        List<String> more = new java.util.ArrayList<>(words);
        for (int i = 0; i < 5; i++) {
            more.add("extra" + i);
        }
        Files.write(dir.resolve("vocab.txt"), more);
        int rows = (int) ConfigCheck.embeddingRows(Checkpoints.read(dir.resolve("model.safetensors")));
        int ids = BertTokenizer.fromVocab(dir.resolve("vocab.txt")).vocabSize();
        assertTrue(ids > rows);
        ConfigException e = assertThrows(ConfigException.class, () -> Blip.load(dir));
        String msg = e.getMessage();
        assertTrue(msg.startsWith(dir.resolve("vocab.txt").toString()), msg);
        assertTrue(msg.contains(dir.resolve("model.safetensors").toString()), msg);
        assertTrue(msg.contains(ids + " ids") && msg.contains(rows + " text embedding rows"), msg);
    }

    // ------------------------------------------------------------------ engine helpers

    @Test
    void raggedRowsAreAnErrorNotATruncation() {
        long[][] ragged = {{1, 2, 3}, {4, 5}};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> T.longs(ragged));
        assertTrue(e.getMessage().contains("row 1 has 2"), e.getMessage());
        assertArrayEquals(new long[] {1, 2, 3, 4, 5, 6}, T.toLongs(T.longs(new long[][] {{1, 2, 3}, {4, 5, 6}})));
    }

    @Test
    void copyIntoChecksShapesBeforeWriting() {
        Tensor dst = torch.zeros(2, 3); // float32, 24 bytes
        RawTensor big = RawTensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 4);
        assertThrows(IllegalArgumentException.class, () -> T.copyInto(dst, big));
        RawTensor sameCount = RawTensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
        assertThrows(IllegalArgumentException.class, () -> T.copyInto(dst, sameCount));
        assertArrayEquals(new float[6], T.toFloats(dst), "nothing written");
        T.copyInto(dst, RawTensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, T.toFloats(dst));
        Tensor dbl = torch.zeros(new long[] {2, 3}, T.options(torch.ScalarType.Double)); // converting path
        assertThrows(IllegalArgumentException.class, () -> T.copyInto(dbl, RawTensor.ofFloats(new float[] {7}, 1)));
    }
}

package org.blip4j.model.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.blip4j.config.BlipConfig;
import org.blip4j.config.VisionConfig;
import org.blip4j.config.VisionConfig.PlaceAtOutput;
import org.blip4j.engine.Engine;
import org.blip4j.engine.T;
import org.blip4j.train.Init;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pos_embed_at_output} (not BLIP's): the ViT's output tokens get the position embedding once more ({@code
 * true}), its layer-normalised form ({@code normalized}) or fixed sine–cosine features of the patch's row and column
 * ({@code sincos}), and nothing else changes; the key travels through exported
 * configs (recipes: RecipeTest), and is absent (false) everywhere else.
 */
class PosEmbedAtOutputTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        Engine.load();
    }

    static VisionConfig small() {
        return new VisionConfig(32, 8, 40, 2, 5, 80, 1e-6);
    }

    /** BLIP's output and the output with {@code place}, from the same weights and pixels. */
    private static Tensor[] outputs(PlaceAtOutput place, VisionTransformer plain) {
        VisionTransformer placed = new VisionTransformer(small().withPlaceAtOutput(place));
        placed.namedParameters()
                .forEach((k, t) -> t.copy_(plain.namedParameters().get(k)));
        plain.train(false);
        placed.train(false);
        torch.manual_seed(11);
        Tensor pixels = torch.randn(2, 3, 32, 32); // (B, 3, S, S)
        return new Tensor[] {plain.forward(pixels), placed.forward(pixels)}; // (B, N, D) each
    }

    @Test
    void outputTokensGetThePositionEmbeddingOnceMore() {
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            VisionTransformer plain = new VisionTransformer(small());
            Init.blip(plain, 3, 0.02);
            Tensor[] ab = outputs(PlaceAtOutput.ADD, plain);
            assertEquals(17, ab[1].size(1));
            Tensor diff = ab[1].sub(ab[0]).sub(plain.posEmbed); // pos_embed (1, N, D) broadcast over the batch
            assertTrue(diff.abs().max().item_float() < 1e-6, "output = BLIP's output + pos_embed");
            assertTrue(plain.posEmbed.abs().max().item_float() > 1e-3, "a position embedding to see");
        }
    }

    @Test
    void normalizedAddsEachTokensPositionEmbeddingAtUnitScale() {
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            VisionTransformer plain = new VisionTransformer(small());
            Init.blip(plain, 3, 0.02); // pos_embed ~ 0.02: a tenth or less of the normalised content
            Tensor[] ab = outputs(PlaceAtOutput.NORMALIZED, plain);
            Tensor added = ab[1].sub(ab[0]); // (B, N, D)
            int n = (int) added.size(1);
            int d = (int) added.size(2);
            float[] p = T.toFloats(plain.posEmbed); // (1, N, D)
            float[] got = T.toFloats(added.select(0, 1)); // the second image: the same addition
            for (int t = 0; t < n; t++) { // by hand: (p - mean) / sqrt(var + eps), population variance
                double mean = 0;
                for (int j = 0; j < d; j++) {
                    mean += p[t * d + j];
                }
                mean /= d;
                double var = 0;
                for (int j = 0; j < d; j++) {
                    var += (p[t * d + j] - mean) * (p[t * d + j] - mean);
                }
                var /= d;
                for (int j = 0; j < d; j++) {
                    double want = (p[t * d + j] - mean) / Math.sqrt(var + 1e-6);
                    assertEquals(want, got[t * d + j], 1e-4, "token " + t + ", channel " + j);
                }
            }
        }
    }

    @Test
    void sincosAddsFixedSineCosineFeaturesOfRowAndColumn() {
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            VisionTransformer plain = new VisionTransformer(small());
            Init.blip(plain, 3, 0.02);
            Tensor[] ab = outputs(PlaceAtOutput.SINCOS, plain);
            int n = (int) ab[1].size(1);
            int d = (int) ab[1].size(2);
            int grid = 32 / 8;
            int q = d / 4;
            float[] got = T.toFloats(ab[1].sub(ab[0]).select(0, 1)); // the second image: the same addition
            for (int j = 0; j < d; j++) {
                assertEquals(0.0, got[j], 1e-6, "the class token gets no place, channel " + j);
            }
            for (int r = 0; r < grid; r++) {
                for (int c = 0; c < grid; c++) {
                    int t = 1 + r * grid + c;
                    double sq = 0;
                    for (int k = 0; k < q; k++) { // by hand: frequencies from pi down to pi / (2 * grid)
                        double w = Math.PI * Math.pow(2.0 * grid, -(double) k / (q - 1));
                        double a = Math.sqrt(2);
                        String at = "row " + r + ", column " + c + ", frequency " + k;
                        assertEquals(a * Math.sin(w * c), got[t * d + k], 1e-5, at);
                        assertEquals(a * Math.cos(w * c), got[t * d + q + k], 1e-5, at);
                        assertEquals(a * Math.sin(w * r), got[t * d + 2 * q + k], 1e-5, at);
                        assertEquals(a * Math.cos(w * r), got[t * d + 3 * q + k], 1e-5, at);
                    }
                    for (int j = 0; j < d; j++) {
                        sq += got[t * d + j] * got[t * d + j];
                    }
                    assertEquals(1.0, sq / d, 1e-5, "unit RMS, token " + t);
                }
            }
            assertEquals(1 + grid * grid, n);
        }
    }

    @Test
    void aSincosShiftIsOneLinearMapForEveryPlace() {
        int grid = 8;
        int d = 160;
        int q = d / 4;
        float[] code = PlaceAtOutput.sincos(grid, d);
        for (int k = 0; k < q; k++) { // column + 1: (sin, cos) rotate by the frequency, the same for every place
            double w = Math.PI * Math.pow(2.0 * grid, -(double) k / (q - 1));
            for (int r = 0; r < grid; r++) {
                for (int c = 0; c + 1 < grid; c++) {
                    int from = (1 + r * grid + c) * d;
                    int to = from + d;
                    double sin = code[from + k];
                    double cos = code[from + q + k];
                    assertEquals(sin * Math.cos(w) + cos * Math.sin(w), code[to + k], 1e-5);
                    assertEquals(cos * Math.cos(w) - sin * Math.sin(w), code[to + q + k], 1e-5);
                    assertEquals(code[from + 2 * q + k], code[to + 2 * q + k], 0.0, "the row's features stay");
                }
            }
        }
        var e = assertThrows(IllegalArgumentException.class, () -> PlaceAtOutput.sincos(8, 162));
        assertTrue(e.getMessage().contains("sincos") && e.getMessage().contains("162"), e.getMessage());
    }

    @Test
    void theKeyTravelsThroughExportedConfigsAndIsAbsentByDefault() throws Exception {
        BlipConfig base = BlipConfig.base(64);
        Path off = tmp.resolve("off.json");
        base.writeHf(off, "BlipForConditionalGeneration", 101, 102);
        assertFalse(
                new ObjectMapper().readTree(off.toFile()).path("vision_config").has("pos_embed_at_output"),
                "configs without it stay as HF writes them");
        assertEquals(PlaceAtOutput.NONE, BlipConfig.readHf(off).vision().placeAtOutput());

        for (PlaceAtOutput place : List.of(PlaceAtOutput.ADD, PlaceAtOutput.NORMALIZED, PlaceAtOutput.SINCOS)) {
            BlipConfig on = new BlipConfig(base.vision().withPlaceAtOutput(place), base.text(), base.embedDim());
            Path onFile = tmp.resolve(place + ".json");
            on.writeHf(onFile, "BlipForConditionalGeneration", 101, 102);
            assertEquals(
                    place == PlaceAtOutput.ADD ? "true" : place.name().toLowerCase(java.util.Locale.ROOT),
                    new ObjectMapper()
                            .readTree(onFile.toFile())
                            .path("vision_config")
                            .path("pos_embed_at_output")
                            .asText());
            assertEquals(place, BlipConfig.readHf(onFile).vision().placeAtOutput());
            assertEquals(
                    place,
                    BlipConfig.readHf(onFile)
                            .vision()
                            .withImageSize(96)
                            .withDropPath(0.1)
                            .placeAtOutput());
        }
    }

    @Test
    void anUnknownValueInAConfigIsRefusedNamingTheKey() throws Exception {
        Path f = tmp.resolve("config.json");
        BlipConfig.base(64).writeHf(f, "BlipForConditionalGeneration", 101, 102);
        var root = (com.fasterxml.jackson.databind.node.ObjectNode) new ObjectMapper().readTree(f.toFile());
        ((com.fasterxml.jackson.databind.node.ObjectNode) root.get("vision_config")).put("pos_embed_at_output", "yes");
        new ObjectMapper().writeValue(f.toFile(), root);
        var e = assertThrows(IllegalArgumentException.class, () -> BlipConfig.readHf(f));
        assertTrue(
                e.getMessage().contains(f.toString())
                        && e.getMessage().contains("pos_embed_at_output")
                        && e.getMessage().contains("yes"),
                e.getMessage());
    }
}

package org.blip4j.model.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.blip4j.config.BlipConfig;
import org.blip4j.config.VisionConfig;
import org.blip4j.engine.Engine;
import org.blip4j.train.Init;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pos_embed_at_output} (not BLIP's): the ViT's output tokens get the position embedding once more, and nothing
 * else changes; the key travels through exported configs (recipes: RecipeTest), and is absent (false) everywhere else.
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

    @Test
    void outputTokensGetThePositionEmbeddingOnceMore() {
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            VisionTransformer plain = new VisionTransformer(small());
            Init.blip(plain, 3, 0.02);
            VisionTransformer placed = new VisionTransformer(small().withPosEmbedAtOutput(true));
            placed.namedParameters()
                    .forEach((k, t) -> t.copy_(plain.namedParameters().get(k)));
            plain.train(false);
            placed.train(false);
            torch.manual_seed(11);
            Tensor pixels = torch.randn(2, 3, 32, 32); // (B, 3, S, S)
            Tensor a = plain.forward(pixels); // (B, N, D)
            Tensor b = placed.forward(pixels); // (B, N, D)
            assertEquals(17, b.size(1));
            Tensor diff = b.sub(a).sub(plain.posEmbed); // pos_embed (1, N, D) broadcast over the batch
            assertTrue(diff.abs().max().item_float() < 1e-6, "output = BLIP's output + pos_embed");
            assertTrue(plain.posEmbed.abs().max().item_float() > 1e-3, "a position embedding to see");
        }
    }

    @Test
    void theKeyTravelsThroughExportedConfigsAndIsAbsentByDefault() throws Exception {
        BlipConfig base = BlipConfig.base(64);
        Path off = tmp.resolve("off.json");
        base.writeHf(off, "BlipForConditionalGeneration", 101, 102);
        assertFalse(
                new ObjectMapper().readTree(off.toFile()).path("vision_config").has("pos_embed_at_output"),
                "configs without it stay as HF writes them");
        assertFalse(BlipConfig.readHf(off).vision().posEmbedAtOutput());

        BlipConfig on = new BlipConfig(base.vision().withPosEmbedAtOutput(true), base.text(), base.embedDim());
        Path onFile = tmp.resolve("on.json");
        on.writeHf(onFile, "BlipForConditionalGeneration", 101, 102);
        assertTrue(BlipConfig.readHf(onFile).vision().posEmbedAtOutput());
        assertTrue(BlipConfig.readHf(onFile)
                .vision()
                .withImageSize(96)
                .withDropPath(0.1)
                .posEmbedAtOutput());
    }
}

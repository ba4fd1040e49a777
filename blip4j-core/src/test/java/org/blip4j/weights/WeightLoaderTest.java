package org.blip4j.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.blip4j.config.BlipConfig;
import org.blip4j.config.TextConfig;
import org.blip4j.engine.T;
import org.blip4j.io.RawTensor;
import org.blip4j.model.BlipDecoder;
import org.blip4j.model.BlipItm;
import org.blip4j.testutil.Fixture;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Strict loading: every missing, unexpected and mis-shaped key is named; allow-lists are explicit. */
class WeightLoaderTest {
    static Fixture fx;
    static BlipConfig config;

    @BeforeAll
    static void open() throws Exception {
        fx = Fixture.open();
        config = BlipConfig.readHf(fx.require("config.json"));
    }

    @AfterAll
    static void close() throws Exception {
        fx.close();
    }

    @Test
    void wrongModelNamesEveryMissingAndUnexpectedKey() throws Exception {
        Map<String, RawTensor> sd = Checkpoints.read(fx.require("blip_decoder.hf.safetensors"));
        var e = assertThrows(
                WeightLoader.WeightLoadException.class,
                () -> WeightLoader.load(new BlipItm(config), sd, LoadPolicy.strict(), "blip_decoder.hf.safetensors"));
        assertTrue(e.getMessage().startsWith("blip_decoder.hf.safetensors: checkpoint does not fit"), e.getMessage());
        assertTrue(e.report().missing().contains("itm_head.weight"));
        assertTrue(e.report().missing().contains("text_encoder.embeddings.word_embeddings.weight"));
        assertTrue(e.report().unexpected().contains("text_decoder.cls.predictions.bias"));
        assertTrue(e.getMessage().contains("missing from the checkpoint"));
    }

    @Test
    void configShapeMismatchIsReportedWithShapes() throws Exception {
        TextConfig t = config.text();
        TextConfig bigger = new TextConfig(
                t.vocabSize() + 5,
                t.hiddenSize(),
                t.numLayers(),
                t.numHeads(),
                t.intermediateSize(),
                t.maxPositions(),
                t.layerNormEps(),
                t.encoderWidth(),
                true,
                0);
        BlipConfig c = new BlipConfig(config.vision(), bigger, config.embedDim());
        Map<String, RawTensor> sd = Checkpoints.read(fx.require("blip_decoder.pth"));
        var e = assertThrows(
                WeightLoader.WeightLoadException.class,
                () -> WeightLoader.load(new BlipDecoder(c), sd, LoadPolicy.strict(), "blip_decoder.pth"));
        String expected = "text_decoder.bert.embeddings.word_embeddings.weight: checkpoint [" + t.vocabSize() + ", "
                + t.hiddenSize() + "] vs model [" + (t.vocabSize() + 5) + ", " + t.hiddenSize() + "]";
        assertTrue(e.report().mismatched().contains(expected), e.getMessage());
    }

    @Test
    void tiedLmHeadLoadsFromEitherName() throws Exception {
        Map<String, RawTensor> sd = new LinkedHashMap<>(Checkpoints.read(fx.require("blip_decoder.pth")));
        RawTensor emb = sd.get("text_decoder.bert.embeddings.word_embeddings.weight");
        sd.remove("text_decoder.cls.predictions.decoder.weight");
        sd.remove("text_decoder.cls.predictions.decoder.bias");
        BlipDecoder m = new BlipDecoder(config);
        LoadReport r = WeightLoader.load(m, sd, LoadPolicy.strict(), "tied");
        assertTrue(r.ok());
        Tensor head = m.namedTensors().get("text_decoder.cls.predictions.decoder.weight");
        assertEquals(0.0, T.toFloats(head.sub(T.fromRaw(emb)).abs().max())[0], 0.0);
        assertTrue(r.ignored().stream().anyMatch(k -> k.endsWith("position_ids")), "position_ids are ignored: " + r);
    }

    @Test
    void pretrainingCheckpointNeedsAnExplicitAllowList() throws Exception {
        Map<String, RawTensor> sd = Checkpoints.read(fx.require("blip_pretrain.pth"));
        assertThrows(
                WeightLoader.WeightLoadException.class,
                () -> WeightLoader.load(new BlipDecoder(config), sd, LoadPolicy.strict(), "blip_pretrain.pth"));
        LoadPolicy captioner = LoadPolicy.strict()
                .ignoringTrainingState()
                .ignoring("text_encoder\\..*", "vision_proj\\..*", "text_proj\\..*", "itm_head\\..*", "temp");
        LoadReport r = WeightLoader.load(new BlipDecoder(config), sd, captioner, "blip_pretrain.pth");
        assertTrue(r.ok() && r.unexpected().isEmpty() && r.ignored().contains("image_queue"), r.toString());
    }

    @Test
    void hfNamesRoundTrip() throws Exception {
        for (String k : Checkpoints.read(fx.require("blip_vqa.hf.safetensors")).keySet()) {
            assertEquals(k, HfKeys.toHf(HfKeys.toOriginal(k)));
        }
        assertEquals(
                "visual_encoder.blocks.11.attn.proj.weight",
                HfKeys.toOriginal("vision_model.encoder.layers.11.self_attn.projection.weight"));
        assertEquals("visual_encoder.norm.bias", HfKeys.toOriginal("vision_model.post_layernorm.bias"));
        assertEquals("vision_model.embeddings.class_embedding", HfKeys.toHf("visual_encoder.cls_token"));
    }

    /** torch bicubic (a = -0.75, align_corners=False, border clamp), written out independently. */
    static double cubic(double x) {
        double a = -0.75;
        x = Math.abs(x);
        if (x <= 1) {
            return ((a + 2) * x - (a + 3)) * x * x + 1;
        }
        if (x < 2) {
            return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
        }
        return 0;
    }

    static double resample(double[][] g, int out, int oy, int ox) {
        int in = g.length;
        double scale = (double) in / out;
        double sy = (oy + 0.5) * scale - 0.5;
        double sx = (ox + 0.5) * scale - 0.5;
        int y0 = (int) Math.floor(sy);
        int x0 = (int) Math.floor(sx);
        double v = 0;
        for (int i = -1; i <= 2; i++) {
            for (int j = -1; j <= 2; j++) {
                int yy = Math.min(Math.max(y0 + i, 0), in - 1);
                int xx = Math.min(Math.max(x0 + j, 0), in - 1);
                v += cubic(sy - (y0 + i)) * cubic(sx - (x0 + j)) * g[yy][xx];
            }
        }
        return v;
    }

    @Test
    void positionEmbeddingInterpolationIsTorchBicubic() {
        int d = 3;
        int in = 4;
        int out = 6;
        Random rnd = new Random(1);
        float[] pos = new float[(1 + in * in) * d];
        for (int i = 0; i < pos.length; i++) {
            pos[i] = (float) rnd.nextGaussian();
        }
        Tensor resized = PosEmbed.interpolate(T.floats(pos, 1, 1 + in * in, d), 1 + out * out);
        float[] got = T.toFloats(resized);
        assertEquals((1 + out * out) * d, got.length);
        for (int c = 0; c < d; c++) {
            assertEquals(pos[c], got[c], 0f, "[CLS] row kept");
            double[][] grid = new double[in][in];
            for (int y = 0; y < in; y++) {
                for (int x = 0; x < in; x++) {
                    grid[y][x] = pos[(1 + y * in + x) * d + c];
                }
            }
            for (int y = 0; y < out; y++) {
                for (int x = 0; x < out; x++) {
                    assertEquals(resample(grid, out, y, x), got[(1 + y * out + x) * d + c], 1e-5);
                }
            }
        }
    }

    @Test
    void checkpointWithSmallerImageSizeIsInterpolatedOnLoad() throws Exception {
        BlipConfig big = new BlipConfig(
                config.vision().withImageSize(config.vision().imageSize() * 2), config.text(), config.embedDim());
        LoadReport r = WeightLoader.load(
                new BlipDecoder(big),
                Checkpoints.read(fx.require("blip_decoder.pth")),
                LoadPolicy.strict(),
                "blip_decoder.pth");
        assertEquals(1, r.interpolated().size(), r.toString());
    }
}

package org.blip4j.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ImageProcessor configuration (BLIP defaults, HF preprocessor_config.json) and its ToTensor/Normalize arithmetic. */
class ImageProcessorTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private static RgbImage image(int w, int h) {
        byte[] px = new byte[w * h * 3];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 37 + i / 3);
        }
        return new RgbImage(w, h, px);
    }

    @Test
    void toTensorNormalizeIsTorchvisionFloat32Arithmetic() {
        ImageProcessor p = ImageProcessor.blip(2);
        RgbImage img = new RgbImage(2, 1, new byte[] {0, (byte) 128, (byte) 255, 1, 2, 3});
        float[] t = p.toTensor(img);
        assertEquals(6, t.length);
        int[][] v = {{0, 1}, {128, 2}, {255, 3}}; // CHW: channel c, pixels 0 and 1
        for (int c = 0; c < 3; c++) {
            for (int x = 0; x < 2; x++) {
                float want = (v[c][x] / 255f - ImageProcessor.BLIP_MEAN[c]) / ImageProcessor.BLIP_STD[c];
                assertEquals(want, t[c * 2 + x], 0f);
            }
        }
    }

    @Test
    void huggingFaceBlipConfig() throws IOException {
        String cfg = """
        {"do_convert_rgb": true, "do_normalize": true, "do_rescale": true, "do_resize": true,
         "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_processor_type": "BlipImageProcessor",
         "image_std": [0.26862954, 0.26130258, 0.27577711], "processor_class": "BlipProcessor", "resample": 3,
         "rescale_factor": 0.00392156862745098, "size": {"height": 24, "width": 20}}""";
        Path f = Files.writeString(tmp.resolve("preprocessor_config.json"), cfg);
        ImageProcessor p = ImageProcessor.fromPreprocessorConfig(f);
        assertEquals(20, p.width());
        assertEquals(24, p.height());
        assertArrayEquals(ImageProcessor.BLIP_MEAN, p.mean());
        assertArrayEquals(ImageProcessor.BLIP_STD, p.std());
        RgbImage img = image(13, 9);
        float[] got = p.process(img);
        assertEquals(3 * 20 * 24, got.length);
        // same arithmetic as the BLIP factory once sizes agree
        ImageProcessor square = ImageProcessor.fromPreprocessorConfig(
                JSON.readTree(cfg.replace("{\"height\": 24, \"width\": 20}", "17")), ImageLoader.defaults());
        assertArrayEquals(ImageProcessor.blip(17).process(img), square.process(img));
    }

    @Test
    void optionalStepsAndOtherFilters() throws IOException {
        JsonNode cfg = JSON.readTree("""
        {"do_resize": false, "do_normalize": false, "rescale_factor": 0.5, "resample": 2, "size": 8}""");
        ImageProcessor p = ImageProcessor.fromPreprocessorConfig(cfg, ImageLoader.defaults());
        RgbImage img = image(3, 2);
        float[] t = p.process(img);
        assertEquals(3 * 3 * 2, t.length);
        assertEquals((img.rgb()[3 * 4 + 1] & 0xff) * 0.5f, t[1 * 6 + 4], 0f); // channel 1, pixel 4
        // without resizing, a batch must share one size
        assertThrows(IllegalArgumentException.class, () -> p.processImages(List.of(image(3, 2), image(2, 3))));
        assertEquals(2 * 18, p.processImages(List.of(image(3, 2), image(3, 2))).length);
        ImageProcessor bilinear = ImageProcessor.fromPreprocessorConfig(
                JSON.readTree("{\"resample\": 2, \"size\": 5}"), ImageLoader.defaults());
        assertArrayEquals(
                PilResize.resize(img, 5, 5, PilResize.Filter.BILINEAR).rgb(),
                bilinear.resize(img).rgb());
        assertThrows(
                IllegalArgumentException.class,
                () -> ImageProcessor.fromPreprocessorConfig(
                        JSON.readTree("{\"resample\": 0}"), ImageLoader.defaults()));
    }

    @Test
    void batchOfImagesIsNchw() {
        ImageProcessor p = ImageProcessor.blip(4);
        RgbImage a = image(5, 7);
        RgbImage b = image(9, 2);
        float[] batch = p.processImages(List.of(a, b));
        float[] fa = p.process(a);
        float[] fb = p.process(b);
        assertEquals(fa.length + fb.length, batch.length);
        for (int i = 0; i < fa.length; i++) {
            assertEquals(fa[i], batch[i], 0f);
            assertEquals(fb[i], batch[fa.length + i], 0f);
        }
    }
}

package org.blip4j.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.blip4j.io.DType;
import org.blip4j.io.RawTensor;
import org.blip4j.io.SafeTensors;
import org.blip4j.testutil.ComparesGoldens;
import org.blip4j.testutil.Fixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Decode + Pillow bicubic resize + ToTensor/Normalize against the fixture's goldens for every image listed in
 * manifest.json (preset_config.images), at config.json's vision_config.image_size.
 */
@ComparesGoldens
class ImageParityTest {
    private static Path dir;
    private static List<String> names;
    private static int size;
    private static byte[] resized;
    private static float[] pixels;

    @BeforeAll
    static void load() throws IOException {
        dir = TestImages.fixtureDir();
        ObjectMapper json = new ObjectMapper();
        JsonNode manifest =
                json.readTree(TestImages.fixtureFile(dir, "manifest.json").toFile());
        JsonNode images = manifest.path("preset_config").path("images");
        assertTrue(images.isArray() && images.size() > 0, "manifest.json has no preset_config.images list");
        names = new ArrayList<>();
        for (JsonNode e : images) {
            JsonNode n = e.isArray() ? e.get(0) : e.isObject() ? e.get("file") : e;
            assertTrue(n != null && n.isTextual(), "unexpected preset_config.images entry " + e);
            names.add(n.asText());
        }
        JsonNode config =
                json.readTree(TestImages.fixtureFile(dir, "config.json").toFile());
        JsonNode s = config.path("vision_config").path("image_size");
        assertTrue(s.canConvertToInt(), "config.json has no vision_config.image_size");
        size = s.asInt();
        try (SafeTensors st = SafeTensors.open(TestImages.fixtureFile(dir, "goldens.safetensors"))) {
            RawTensor r = st.get("input.resized_uint8");
            assertEquals(DType.U8, r.dtype());
            assertEquals(
                    List.of((long) names.size(), (long) size, (long) size, 3L),
                    asList(r.shape()),
                    "input.resized_uint8 shape");
            resized = new byte[(int) r.numel()];
            r.data().get(resized);
            RawTensor p = st.get("input.pixel_values");
            assertEquals(
                    List.of((long) names.size(), 3L, (long) size, (long) size),
                    asList(p.shape()),
                    "input.pixel_values shape");
            pixels = p.toFloats();
        }
    }

    private static List<Long> asList(long[] a) {
        return Arrays.stream(a).boxed().toList();
    }

    @Test
    void resizedUint8MatchesPillowExactly() throws IOException {
        int per = size * size * 3;
        float[] all = new float[names.size() * per];
        StringBuilder report = new StringBuilder();
        int worst = 0;
        for (int i = 0; i < names.size(); i++) {
            RgbImage img = ImageLoader.defaults().load(TestImages.fixtureFile(dir, names.get(i)));
            RgbImage out = PilResize.resize(img, size, size);
            int max = 0;
            int count = 0;
            for (int j = 0; j < per; j++) {
                int d = Math.abs((out.rgb()[j] & 0xff) - (resized[i * per + j] & 0xff));
                max = Math.max(max, d);
                count += d != 0 ? 1 : 0;
            }
            worst = Math.max(worst, max);
            report.append(String.format(
                    "%s %dx%d -> %dx%d: max |diff| %d, %d of %d values differ%n",
                    names.get(i), img.width(), img.height(), size, size, max, count, per));
            for (int j = 0; j < per; j++) {
                all[i * per + j] = out.rgb()[j] & 0xff;
            }
        }
        System.out.print("[ImageParityTest] resized_uint8\n" + report);
        if (worst > 0) {
            fail("Pillow bicubic resize not bit-exact:\n" + report);
        }
        try (Fixture fx = Fixture.open()) {
            fx.assertClose("input.resized_uint8", "input.resized_uint8", all, 0);
        }
    }

    @Test
    void pixelValuesMatchTorchvision() throws IOException {
        ImageProcessor proc = ImageProcessor.blip(size);
        int per = 3 * size * size;
        double worst = 0;
        float[] all = new float[pixels.length];
        for (int i = 0; i < names.size(); i++) {
            float[] got = proc.process(TestImages.fixtureFile(dir, names.get(i)));
            assertEquals(per, got.length);
            System.arraycopy(got, 0, all, i * per, per);
            double max = 0;
            for (int j = 0; j < per; j++) {
                max = Math.max(max, Math.abs(got[j] - pixels[i * per + j]));
            }
            System.out.printf("[ImageParityTest] pixel_values %s: max |diff| %.3g%n", names.get(i), max);
            worst = Math.max(worst, max);
        }
        assertTrue(worst <= 1e-5, "pixel_values max |diff| " + worst + " > 1e-5");
        try (Fixture fx = Fixture.open()) {
            fx.assertClose("input.pixel_values", "input.pixel_values", all, 1e-5);
        }
    }

    @Test
    void batchIsTheConcatenationInNchw() throws IOException {
        ImageProcessor proc = ImageProcessor.blip(size);
        List<Path> files =
                names.stream().map(n -> TestImages.fixtureFile(dir, n)).toList();
        float[] batch = proc.processBatch(files);
        assertEquals(pixels.length, batch.length);
        double max = 0;
        for (int j = 0; j < batch.length; j++) {
            max = Math.max(max, Math.abs(batch[j] - pixels[j]));
        }
        assertTrue(max <= 1e-5, "batched pixel_values max |diff| " + max);
    }
}

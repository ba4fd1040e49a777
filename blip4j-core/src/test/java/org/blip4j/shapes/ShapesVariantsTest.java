package org.blip4j.shapes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Renderer variants for robustness checks: no antialiasing, other position jitter, solid backgrounds only. */
class ShapesVariantsTest {
    static final ShapesConfig BASE = ShapesConfig.defaults(12).withThreads(1);

    @Test
    void defaultsAreTheWorldsRendering() {
        assertTrue(BASE.antialias());
        assertEquals(0.08, BASE.jitter());
        assertEquals(ShapesConfig.Backgrounds.ALL, BASE.backgrounds());
        assertTrue(BASE.defaultRendering());
        // the constructor without rendering options means the default rendering
        assertEquals(BASE, new ShapesConfig(12, 96, 5000, 500, 1000, 5000, 0.4, 5, 3, 2000, 500, 4, 0.2, 1));
        ShapesConfig v = BASE.withAntialias(false)
                .withJitter(0.12)
                .withBackgrounds(ShapesConfig.Backgrounds.SOLID)
                .withMaxObjects(3)
                .withNlvr(0, 0)
                .withSizes(1, 2, 3, 4)
                .withSeed(5);
        assertFalse(v.antialias());
        assertEquals(0.12, v.jitter());
        assertEquals(ShapesConfig.Backgrounds.SOLID, v.backgrounds());
        assertEquals(3, v.maxObjects());
        assertFalse(v.defaultRendering());
        assertThrows(IllegalArgumentException.class, () -> BASE.withJitter(0.2));
        assertThrows(IllegalArgumentException.class, () -> BASE.withJitter(-0.01));
        assertThrows(IllegalArgumentException.class, () -> BASE.withMaxObjects(0));
    }

    @Test
    void solidBackgroundsOnlyAndOneToThreeObjects() {
        ShapesConfig cfg = BASE.withBackgrounds(ShapesConfig.Backgrounds.SOLID).withMaxObjects(3);
        Set<Integer> counts = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            Scene s = ShapesGenerator.scene(cfg, ShapesGenerator.Split.TEST, i);
            assertEquals(Background.Kind.SOLID, s.background().kind());
            counts.add(s.objects().size());
        }
        assertEquals(Set.of(1, 2, 3), counts);
    }

    @Test
    void jitterBoundsHowFarCentresMoveFromTheirCells() {
        double side = BASE.size();
        double[] largest = new double[3];
        double[] jitters = {0, 0.08, 0.16};
        for (int j = 0; j < 3; j++) {
            ShapesConfig cfg = BASE.withJitter(jitters[j]);
            for (int i = 0; i < 150; i++) {
                for (SceneObject o : ShapesGenerator.scene(cfg, ShapesGenerator.Split.TRAIN, i)
                        .objects()) {
                    // objects in the middle column are never pushed inside the image: their x is the cell centre +
                    // jitter
                    if (o.region((int) side).col == 1) {
                        double off = Math.abs(o.x() - side / 2);
                        assertTrue(off <= jitters[j] * side + 1.0 / 16, jitters[j] + ": " + o);
                        largest[j] = Math.max(largest[j], off);
                    }
                }
            }
        }
        assertEquals(0, largest[0], 1.0 / 16, "no jitter: centred up to the 1/8 px quantisation");
        assertTrue(largest[1] > 0.06 * side, "default jitter reaches near 0.08: " + largest[1] / side);
        assertTrue(largest[2] > 0.12 * side, "jitter 0.16 goes further: " + largest[2] / side);
    }

    @Test
    void withoutAntialiasingObjectsHaveOnlyTheirOwnColour() {
        ShapesConfig cfg = BASE.withBackgrounds(ShapesConfig.Backgrounds.SOLID);
        Scene drawn = ShapesGenerator.scene(cfg, ShapesGenerator.Split.VAL, 3);
        Scene s = new Scene(drawn.size(), drawn.background(), 0, 0, drawn.objects()); // no pixel noise
        Set<Integer> allowed = new HashSet<>();
        allowed.add(s.background().color().rgb());
        s.objects().forEach(o -> allowed.add(o.rgb()));
        assertEquals(allowed, colours(SceneRenderer.render(s, false)));
        Set<Integer> smooth = colours(SceneRenderer.render(s, true));
        assertTrue(smooth.size() > allowed.size(), "antialiased edges blend colours");
        assertEquals(smooth, colours(SceneRenderer.render(s)), "antialiased is the default");
    }

    @Test
    void aVariantRunRecordsItsRenderingAndKeepsTheScenesTruth(@TempDir Path tmp) throws Exception {
        ShapesConfig cfg = BASE.withNlvr(0, 0)
                .withSizes(0, 0, 6, 0)
                .withAntialias(false)
                .withJitter(0.12)
                .withBackgrounds(ShapesConfig.Backgrounds.SOLID)
                .withMaxObjects(3);
        ShapesGenerator.generate(cfg, tmp.resolve("v"), null);
        JsonNode m = new ObjectMapper()
                .readTree(tmp.resolve("v/manifest.json").toFile())
                .get("config");
        assertFalse(m.get("antialias").asBoolean());
        assertEquals(0.12, m.get("jitter").asDouble());
        assertEquals("solid", m.get("backgrounds").asText());
        assertTrue(Files.readString(tmp.resolve("v/README.md")).contains("no antialiasing"));
        BufferedImage written = javax.imageio.ImageIO.read(
                tmp.resolve("v/images/test/test_000002.png").toFile());
        BufferedImage again = ShapesGenerator.image(cfg, ShapesGenerator.Split.TEST, 2);
        for (int y = 0; y < again.getHeight(); y++) {
            for (int x = 0; x < again.getWidth(); x++) {
                assertEquals(again.getRGB(x, y), written.getRGB(x, y));
            }
        }
        // a default run writes no rendering keys (its files keep their bytes)
        ShapesGenerator.generate(BASE.withNlvr(0, 0).withSizes(0, 0, 2, 0), tmp.resolve("d"), null);
        JsonNode d = new ObjectMapper()
                .readTree(tmp.resolve("d/manifest.json").toFile())
                .get("config");
        assertFalse(d.has("antialias") || d.has("jitter") || d.has("backgrounds"), d.toString());
        assertNotEquals(
                ShapesGenerator.scene(BASE, ShapesGenerator.Split.TEST, 0),
                ShapesGenerator.scene(BASE.withJitter(0.12), ShapesGenerator.Split.TEST, 0));
    }

    static Set<Integer> colours(BufferedImage img) {
        Set<Integer> out = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                out.add(img.getRGB(x, y) & 0xffffff);
            }
        }
        return out;
    }
}

package org.blip4j.shapes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.blip4j.data.AnnotationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** scenes.json reads back into the scenes that were drawn (all but the noise seed, which is not written). */
class SceneFileTest {
    @Test
    void readsBackTheScenesAsDrawn(@TempDir Path tmp) throws Exception {
        ShapesConfig cfg =
                ShapesConfig.defaults(4).withSizes(6, 2, 5, 7).withNlvr(0, 0).withThreads(1);
        ShapesGenerator.generate(cfg, tmp, null);
        Map<String, Scene> scenes = SceneFile.read(tmp.resolve(SceneFile.NAME));
        assertEquals(20, scenes.size());
        for (ShapesGenerator.Split sp : ShapesGenerator.Split.values()) {
            for (int i = 0; i < ShapesGenerator.count(cfg, sp); i++) {
                Scene drawn = ShapesGenerator.scene(cfg, sp, i);
                Scene read = scenes.get(ShapesGenerator.imagePath(cfg, sp, i));
                assertEquals(new Scene(drawn.size(), drawn.background(), drawn.noise(), 0, drawn.objects()), read);
            }
        }
    }

    @Test
    void aBadRecordIsNamed(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("scenes.json");
        Files.writeString(
                f,
                "[{\"image\": \"a.png\", \"size\": 96, \"background\": {\"kind\": \"solid\", \"color\": "
                        + "\"beige\"}, \"objects\": []},\n{\"image\": \"b.png\", \"size\": 96, \"background\": {\"kind\": \"solid\", "
                        + "\"color\": \"beige\"}, \"objects\": [{\"shape\": \"blob\"}]}]");
        AnnotationException e = assertThrows(AnnotationException.class, () -> SceneFile.read(f));
        assertTrue(e.getMessage().contains("scenes.json: entry 1"), e.getMessage());
        assertTrue(e.getMessage().contains("bbox") || e.getMessage().contains("blob"), e.getMessage());
    }
}

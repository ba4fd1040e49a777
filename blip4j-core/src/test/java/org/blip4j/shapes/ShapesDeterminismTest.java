package org.blip4j.shapes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same seed gives the same bytes in every file, whatever the thread count; another seed gives other data. */
class ShapesDeterminismTest {
    static ShapesConfig tiny(long seed, int threads) {
        return ShapesConfig.defaults(seed)
                .withSizes(12, 4, 6, 12)
                .withNlvr(6, 4)
                .withThreads(threads);
    }

    /** Relative path to SHA-256 of every file under a folder. */
    static Map<String, String> hashes(Path dir) throws IOException, NoSuchAlgorithmException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                out.put(dir.relativize(p).toString(), HexFormat.of().formatHex(md.digest(Files.readAllBytes(p))));
            }
        }
        return out;
    }

    @Test
    void sameSeedSameBytesWithOneOrTwoThreads(@TempDir Path tmp) throws Exception {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        ShapesGenerator.generate(tiny(7, 1), a, null);
        ShapesGenerator.generate(tiny(7, 2), b, null);
        Map<String, String> ha = hashes(a);
        Map<String, String> hb = hashes(b);
        assertEquals(12 + 4 + 6 + 12 + ShapesGenerator.FILES.size(), ha.size(), ha.keySet()::toString);
        assertEquals(ha, hb);
        // and again over an existing output (overwritten in place)
        ShapesGenerator.generate(tiny(7, 2), a, null);
        assertEquals(ha, hashes(a));
    }

    @Test
    void differentSeedDifferentData(@TempDir Path tmp) throws Exception {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        ShapesGenerator.generate(tiny(7, 2), a, null);
        ShapesGenerator.generate(tiny(8, 2), b, null);
        Map<String, String> ha = hashes(a);
        Map<String, String> hb = hashes(b);
        assertEquals(ha.keySet(), hb.keySet());
        int sameImages = 0;
        for (String k : ha.keySet()) {
            if (k.endsWith(".png") && ha.get(k).equals(hb.get(k))) {
                sameImages++;
            }
        }
        assertEquals(0, sameImages);
        for (String f :
                new String[] {"caption_train.json", "web.json", "vqa_train.json", "nlvr_train.json", "scenes.json"}) {
            assertNotEquals(ha.get(f), hb.get(f), f);
        }
        // the vocabulary and answer list are fixed, not drawn
        assertEquals(ha.get("vocab.txt"), hb.get("vocab.txt"));
        assertEquals(ha.get("answer_list.json"), hb.get("answer_list.json"));
    }

    @Test
    void itemsDependOnTheirIndexNotOnSplitSizes(@TempDir Path tmp) throws Exception {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        ShapesGenerator.generate(tiny(3, 2), a, null);
        ShapesGenerator.generate(tiny(3, 2).withSizes(20, 4, 6, 12), b, null);
        for (int i = 0; i < 12; i++) {
            String p = "images/train/train_" + String.format("%06d", i) + ".png";
            assertArrayEquals(Files.readAllBytes(a.resolve(p)), Files.readAllBytes(b.resolve(p)), p);
        }
        assertEquals(
                ShapesGenerator.scene(tiny(3, 1), ShapesGenerator.Split.TRAIN, 5),
                ShapesGenerator.scene(tiny(3, 2).withSizes(100, 0, 2, 0), ShapesGenerator.Split.TRAIN, 5));
    }

    @Test
    void renderingIsAPureFunctionOfTheScene() throws IOException {
        Scene s = ShapesGenerator.scene(tiny(11, 1).withSize(128), ShapesGenerator.Split.WEB, 3);
        assertEquals(128, SceneRenderer.render(s).getWidth());
        assertArrayEquals(SceneRenderer.png(SceneRenderer.render(s)), SceneRenderer.png(SceneRenderer.render(s)));
    }

    @Test
    void cleanRemovesOnlyWhatARunWrites(@TempDir Path tmp) throws Exception {
        ShapesGenerator.generate(tiny(1, 1), tmp, null);
        Path mine = Files.writeString(tmp.resolve("notes.txt"), "keep me");
        ShapesGenerator.clean(tmp);
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(java.util.List.of(mine), left.toList());
        }
        assertTrue(Files.exists(mine));
        assertFalse(Files.exists(tmp.resolve("images")));
    }
}

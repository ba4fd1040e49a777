package org.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How image arguments expand: folders (sorted images only), globs, and "-" for a list of paths on stdin. */
class CliInputsTest {
    static final CliFixture FX = CliFixture.get();

    @TempDir
    static Path tmp;

    static Path folder;
    /** Copied image -> the reference's beam caption of its source, in sorted path order. */
    static final Map<Path, String> EXPECTED = new TreeMap<>();

    @BeforeAll
    static void folderOfImages() throws IOException {
        folder = Files.createDirectory(tmp.resolve("photos"));
        List<Path> images = FX.images();
        List<String> beam = FX.texts("beam3");
        for (int i = 0; i < images.size(); i++) {
            // names sort in the reverse of the fixture order, so sorting is observable
            Path copy = folder.resolve("img-" + (char) ('z' - i) + ".png");
            Files.copy(images.get(i), copy);
            EXPECTED.put(copy, beam.get(i));
        }
        Files.writeString(folder.resolve("notes.txt"), "not an image");
    }

    /** Captions (as JSON Lines) the given inputs with the reference's beam settings; returns image -> caption. */
    static Map<Path, String> caption(String... inputs) {
        List<String> args = CliCaptionTest.captionArgs("beam3.ids", "blip_decoder.hf.safetensors");
        args.add("--json");
        args.addAll(List.of(inputs));
        CliFixture.Run r = CliFixture.run(args).expect(0);
        Map<Path, String> out = new java.util.LinkedHashMap<>();
        for (String line : r.outLines()) {
            var row = CliFixture.json(line);
            out.put(Path.of(row.get("image").asText()), row.get("caption").asText());
        }
        assertFalse(r.hasStackTrace(), r.err());
        return out;
    }

    @Test
    void folderExpandsToItsImagesSorted() {
        Map<Path, String> got = caption(folder.toString());
        assertEquals(new ArrayList<>(EXPECTED.keySet()), new ArrayList<>(got.keySet()), "images in sorted order");
        assertEquals(EXPECTED, new TreeMap<>(got));
    }

    @Test
    void globMatchesFilesSorted() {
        Map<Path, String> got = caption(folder + "/*.png");
        assertEquals(new ArrayList<>(EXPECTED.keySet()), new ArrayList<>(got.keySet()));
        assertEquals(EXPECTED, new TreeMap<>(got));
    }

    @Test
    void unmatchedGlobIsReportedAsNotFound() {
        List<String> args = CliCaptionTest.captionArgs("beam3.ids", "blip_decoder.hf.safetensors");
        String pattern = folder + "/*.jpg";
        args.add(pattern);
        CliFixture.Run r = CliFixture.run(args).expect(1);
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains(pattern), r.err());
    }

    @Test
    void emptyFolderIsOneError() throws IOException {
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        List<String> args = CliCaptionTest.captionArgs("beam3.ids", "blip_decoder.hf.safetensors");
        args.add(empty.toString());
        CliFixture.Run r = CliFixture.run(args).expect(1);
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains(empty.toString()), r.err());
    }

    @Test
    void dashReadsAListOfPathsFromStdin() {
        List<Path> paths = new ArrayList<>(EXPECTED.keySet());
        java.util.Collections.reverse(paths); // stdin order is kept, not sorted
        String list =
                "\n" + String.join("\n", paths.stream().map(Path::toString).toList()) + "\n\n";
        InputStream saved = System.in;
        Map<Path, String> got;
        try {
            System.setIn(new ByteArrayInputStream(list.getBytes(StandardCharsets.UTF_8)));
            got = caption("-");
        } finally {
            System.setIn(saved);
        }
        assertEquals(paths, new ArrayList<>(got.keySet()));
        assertEquals(EXPECTED, new TreeMap<>(got));
    }
}

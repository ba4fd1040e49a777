package org.blip4j.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model's generation_config.json: read, written, and applied under the caller's options. */
class GenerationDefaultsTest {
    @TempDir
    Path tmp;

    @Test
    void readsHuggingFaceKeysAndIgnoresTheRest() throws Exception {
        Path f = tmp.resolve(GenerationDefaults.FILE);
        Files.writeString(
                f, "{\"_from_model_config\": true, \"bos_token_id\": 30522, \"max_length\": 40, \"num_beams\": 4}");
        GenerationDefaults g = GenerationDefaults.read(f);
        assertEquals(new GenerationDefaults(4, 40, null), g);
        // options given win; what neither gives falls back
        GenerationConfig c = g.beam(null, null, null, 3, 20, 5);
        assertEquals(4, c.numBeams());
        assertEquals(40, c.maxLength());
        assertEquals(5, c.minLength());
        c = g.beam(2, 12, 3, 3, 20, 5);
        assertEquals(2, c.numBeams());
        assertEquals(12, c.maxLength());
        assertEquals(3, c.minLength());
        // a fallback minimum above the maximum used is lowered to it, a given one is not
        assertEquals(8, GenerationDefaults.NONE.beam(null, 8, null, 3, 30, 10).minLength());
        assertThrows(IllegalArgumentException.class, () -> GenerationDefaults.NONE.beam(null, 8, 9, 3, 30, 10));
    }

    @Test
    void aMissingFileIsNoSettingsAndWritingRoundTrips() throws Exception {
        assertSame(GenerationDefaults.NONE, GenerationDefaults.read(tmp.resolve("absent.json")));
        assertSame(GenerationDefaults.NONE, GenerationDefaults.read(null));
        assertTrue(GenerationDefaults.NONE.isEmpty());
        GenerationDefaults g = new GenerationDefaults(3, 40, 5);
        Path f = tmp.resolve("g.json");
        g.write(f);
        assertEquals(g, GenerationDefaults.read(f));
        GenerationConfig c = g.beam(null, null, null, 1, 20, 10);
        assertEquals(GenerationConfig.beam(3, 40, 5), c);
        GenerationDefaults banned = new GenerationDefaults(3, 40, 5, 3);
        banned.write(f);
        assertTrue(Files.readString(f).contains("\"no_repeat_ngram_size\" : 3"), Files.readString(f));
        assertEquals(banned, GenerationDefaults.read(f));
        assertEquals(3, banned.beam(null, null, null, 1, 20, 10).noRepeatNgramSize()); // the model's ban applies
        assertEquals(0, g.beam(null, null, null, 1, 20, 10).noRepeatNgramSize());
    }

    @Test
    void badFilesAreNamedWithTheProblem() throws Exception {
        String[][] cases = {
            {"{\"max_length\": \"forty\"}", "max_length must be an integer"},
            {"{\"max_length\": 12, \"min_length\": 20}", "min_length 20 is larger than max_length 12"},
            {"{\"num_beams\": 0}", "num_beams must be at least 1"},
            {"{\"no_repeat_ngram_size\": -2}", "no_repeat_ngram_size must be at least 0"},
            {"[1, 2]", "expected a JSON object"},
            {"{\"max_length\": ", "not valid JSON"}
        };
        for (String[] c : cases) {
            Path f = tmp.resolve(GenerationDefaults.FILE);
            Files.writeString(f, c[0]);
            IOException e = assertThrows(IOException.class, () -> GenerationDefaults.read(f), c[0]);
            assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
        }
    }
}

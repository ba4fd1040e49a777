package org.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code blip4j selftest}: on the fixture's goldens every check passes; the published checks run end to end on a
 * model that is not the released one (and fail, as they must); usage errors.
 */
class SelftestCliTest {
    static final CliFixture FX = CliFixture.get();

    @TempDir
    Path tmp;

    @Test
    void fixtureGoldensPass() {
        CliFixture.Run r =
                CliFixture.run("selftest", "--fixture", FX.dir.toString()).expect(0);
        List<String> lines = r.outLines();
        assertEquals(6, lines.size(), r.out());
        assertTrue(lines.subList(0, 5).stream().allMatch(l -> l.startsWith("PASS  fixture ")), r.out());
        assertTrue(lines.get(5).startsWith("5 of 5 checks passed"), r.out());
    }

    @Test
    void fixtureModelFilter() {
        CliFixture.Run r = CliFixture.run("selftest", "--fixture", FX.dir.toString(), "-m", "blip_itm.pth")
                .expect(0);
        assertTrue(
                r.out().contains("PASS  fixture itm.prob_match") && r.out().contains("PASS  fixture itc.sim"), r.out());
        assertTrue(r.out().contains("2 of 2 checks passed"), r.out());
    }

    @Test
    void publishedChecksRunOnAnotherCaptionerAndFail() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("my-captioner"));
        Files.copy(FX.file("config.json"), dir.resolve("config.json"));
        Files.copy(FX.file("vocab.txt"), dir.resolve("vocab.txt"));
        Files.copy(FX.file("blip_decoder.hf.safetensors"), dir.resolve("model.safetensors"));
        CliFixture.Run r = CliFixture.run(
                        "selftest",
                        "-m",
                        dir.toString(),
                        "--image",
                        FX.images().get(0).toString())
                .expect(1);
        assertTrue(r.out().contains("is not recognised as one of"), r.out());
        assertTrue(
                r.out()
                        .contains("FAIL  caption-greedy (Salesforce/blip-image-captioning-base): row 0: expected ids "
                                + "[30522, 1037, 2450"),
                r.out());
        assertTrue(r.out().contains("FAIL  caption-greedy-prompt"), r.out());
        assertTrue(r.out().contains("0 of 2 checks passed"), r.out());
        assertFalse(r.hasStackTrace(), r.err());
    }

    @Test
    void listNamesTheSource() {
        CliFixture.Run r = CliFixture.run("selftest", "--list").expect(0);
        assertEquals(5, r.outLines().size(), r.out());
        assertTrue(r.outLines().stream().allMatch(l -> l.contains("tests/models/blip/test_modeling_blip.py")), r.out());
    }

    @Test
    void theDemoImageIsRequiredForPublishedChecks() {
        CliFixture.Run r =
                CliFixture.run("selftest", "-m", "Salesforce/blip-vqa-base").expect(2);
        assertTrue(r.err().contains("--image"), r.err());
    }
}

package org.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code blip4j train} refuses a misspelt or mistyped recipe key before loading anything, in one line. */
class CliRecipeErrorsTest {
    @TempDir
    Path tmp;

    Path recipe() throws IOException {
        return Files.writeString(
                tmp.resolve("r.yaml"),
                "pretrained: " + tmp.resolve("nothing-here") + "\n"
                        + "train_file: train.json\nimage_root: .\noutput_dir: out\nbatch_size: 2\n");
    }

    @Test
    void misspeltSetKeyIsOneLineWithTheSuggestion() throws IOException {
        CliFixture.Run r = CliFixture.run(
                        "train", "caption", "--config", recipe().toString(), "--set", "grad_acumulation=4")
                .expect(1);
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(
                r.err()
                        .contains("--set grad_acumulation=4: unknown recipe key 'grad_acumulation' (did you mean "
                                + "'grad_accumulation'?)"),
                r.err());
        assertFalse(r.hasStackTrace(), r.err());
    }

    @Test
    void nonBooleanFlagInTheFileNamesFileAndKey() throws IOException {
        Path f = recipe();
        Files.writeString(f, Files.readString(f) + "vit_grad_ckpt: yes please\n");
        CliFixture.Run r =
                CliFixture.run("train", "caption", "--config", f.toString()).expect(1);
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains(f.toString()) && r.err().contains("vit_grad_ckpt must be true or false"), r.err());
    }
}

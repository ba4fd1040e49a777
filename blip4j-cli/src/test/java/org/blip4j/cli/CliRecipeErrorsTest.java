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

    @Test
    void visionStageTrainsAndRefusesSeveralObjectsWithoutPatchLabelsOrZeroRanks() throws IOException {
        Path f = Files.writeString(
                tmp.resolve("vision.yaml"),
                "vision: {patch_size: 8, hidden_size: 32, num_layers: 1, num_heads: 2, intermediate_size: 64}\n"
                        + "image_size: 32\nmin_scale: 1.0\nhflip: 0\nrand_augment: false\n"
                        + "train_stream: {world: shapes, seed: 3, min_side: 40, max_side: 48, max_objects: 1}\n"
                        + "output_dir: vision-out\nbatch_size: 2\nmax_steps: 2\ncheckpoint_every: 2\n");
        CliFixture.Run ok =
                CliFixture.run("train", "vision", "--config", f.toString()).expect(0);
        assertTrue(ok.out().contains("trained model:"), ok.out());
        assertTrue(Files.isRegularFile(tmp.resolve("vision-out/model/model.safetensors")));
        // ranks come from --nproc or the recipe's nproc (CliDistributedTrainTest runs two); none is refused
        CliFixture.Run ranks = CliFixture.run("train", "vision", "--config", f.toString(), "--set", "nproc=0")
                .expect(1);
        assertEquals(1, ranks.errLines().size(), ranks.err());
        assertTrue(ranks.err().contains("vision.yaml: nproc must be at least 1"), ranks.err());
        CliFixture.Run many = CliFixture.run(
                        "train", "vision", "--config", f.toString(), "--set", "train_stream.max_objects=3")
                .expect(1);
        assertEquals(1, many.errLines().size(), many.err());
        assertTrue(many.err().contains("max_objects: 1"), many.err());
        assertFalse(many.hasStackTrace(), many.err());
    }
}

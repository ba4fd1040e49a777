package org.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What users see when things go wrong: per-item failures, usage errors (exit 2), model errors (one line), help. */
class CliErrorsTest {
    static final CliFixture FX = CliFixture.get();

    @TempDir
    static Path tmp;

    static Path zeroByte;
    static Path truncated;
    static Path missing;

    @BeforeAll
    static void badInputs() throws IOException {
        zeroByte = Files.createFile(tmp.resolve("zero.png"));
        byte[] png = Files.readAllBytes(FX.images().get(0));
        truncated = Files.write(tmp.resolve("truncated.png"), Arrays.copyOf(png, png.length / 2));
        missing = tmp.resolve("missing.png");
    }

    /** [good, zero-byte, truncated, missing, good] captioned with the reference's beam settings. */
    static List<String> mixedRun(String... extra) {
        List<Path> images = FX.images();
        List<String> args = CliCaptionTest.captionArgs("beam3.ids", "blip_decoder.hf.safetensors");
        args.addAll(List.of(extra));
        for (Path p : List.of(images.get(0), zeroByte, truncated, missing, images.get(images.size() - 1))) {
            args.add(p.toString());
        }
        return args;
    }

    @Test
    void badItemsAreReportedOneLineEachAndTheRunGoesOn() {
        List<Path> images = FX.images();
        List<String> beam = FX.texts("beam3");
        CliFixture.Run r = CliFixture.run(mixedRun()).expect(1);
        assertEquals(
                List.of(
                        images.get(0) + "\t" + beam.get(0),
                        images.get(images.size() - 1) + "\t" + beam.get(images.size() - 1)),
                r.outLines());
        List<String> err = r.errLines();
        assertEquals(3, err.size(), r.err());
        List<Path> bad = List.of(zeroByte, truncated, missing);
        for (int i = 0; i < bad.size(); i++) {
            assertTrue(err.get(i).startsWith("blip4j: " + bad.get(i)), err.get(i));
        }
        assertFalse(r.hasStackTrace(), r.err());
    }

    @Test
    void verboseAddsStackTraces() {
        CliFixture.Run r = CliFixture.run(mixedRun("--verbose")).expect(1);
        assertTrue(r.hasStackTrace(), r.err());
        assertEquals(2, r.outLines().size(), r.out());
    }

    @Test
    void jsonModeWritesAnErrorRecordPerFailedItemInInputOrder() {
        List<Path> images = FX.images();
        List<String> beam = FX.texts("beam3");
        CliFixture.Run r = CliFixture.run(mixedRun("--json")).expect(1);
        List<String> lines = r.outLines();
        assertEquals(5, lines.size(), r.out());
        List<Path> order = List.of(images.get(0), zeroByte, truncated, missing, images.get(images.size() - 1));
        for (int i = 0; i < order.size(); i++) {
            JsonNode row = CliFixture.json(lines.get(i));
            assertEquals(order.get(i).toString(), row.get("image").asText(), lines.get(i));
            boolean good = i == 0 || i == order.size() - 1;
            assertEquals(good, row.has("caption"), lines.get(i));
            assertEquals(!good, row.has("error"), lines.get(i));
        }
        assertEquals(beam.get(0), CliFixture.json(lines.get(0)).get("caption").asText());
        assertEquals(3, r.errLines().size(), r.err());
        assertFalse(r.hasStackTrace(), r.err());
    }

    @Test
    void unknownOptionIsAUsageError() {
        CliFixture.Run r = CliFixture.run(
                        "caption",
                        "--no-such-option",
                        "-m",
                        FX.file("blip_decoder.pth").toString(),
                        FX.images().get(0).toString())
                .expect(2);
        assertTrue(r.err().contains("--no-such-option"), r.err());
        assertFalse(r.hasStackTrace(), r.err());
    }

    @Test
    void missingModelOptionIsAUsageError() {
        // caption alone has a default model (CliShapesTest); the other commands require --model
        CliFixture.Run r = CliFixture.run("itm", FX.images().get(0).toString(), "-t", "a cat")
                .expect(2);
        assertTrue(r.err().contains("--model"), r.err());
    }

    @Test
    void captionWithoutImagesIsAUsageError() {
        CliFixture.run("caption", "-m", FX.file("blip_decoder.pth").toString()).expect(2);
    }

    @Test
    void noCommandIsAUsageError() {
        CliFixture.Run r = CliFixture.run().expect(2);
        assertTrue(r.err().contains("caption"), "the usage lists the commands: " + r.err());
    }

    @Test
    void missingModelPathIsOneLineNamingIt() {
        Path model = tmp.resolve("no-such-model.safetensors");
        CliFixture.Run r = CliFixture.run(
                        "caption", "-m", model.toString(), FX.images().get(0).toString())
                .expect(1);
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains(model.toString()), r.err());
        assertFalse(r.hasStackTrace(), r.err());
        assertEquals("", r.out());
    }

    @Test
    void verboseShowsTheStackTraceOfAModelError() {
        Path model = tmp.resolve("no-such-model.safetensors");
        CliFixture.Run r = CliFixture.run(
                        "caption",
                        "--verbose",
                        "-m",
                        model.toString(),
                        FX.images().get(0).toString())
                .expect(1);
        assertTrue(r.errLines().get(0).contains(model.toString()), r.err());
        assertTrue(r.hasStackTrace(), r.err());
    }

    @Test
    void folderWithSeveralWeightFilesListsThem() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("two-weights"));
        copyConfigAndVocab(dir);
        Files.copy(FX.file("blip_decoder.pth"), dir.resolve("first.pth"));
        Files.copy(FX.file("blip_decoder.hf.safetensors"), dir.resolve("second.safetensors"));
        CliFixture.Run r = CliFixture.run(
                        "caption", "-m", dir.toString(), FX.images().get(0).toString())
                .expect(1);
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains("first.pth") && r.err().contains("second.safetensors"), r.err());
        assertFalse(r.hasStackTrace(), r.err());
    }

    @Test
    void itmModelCannotCaption() {
        CliFixture.Run r = CliFixture.run(
                        "caption",
                        "-m",
                        FX.file("blip_itm.pth").toString(),
                        FX.images().get(0).toString())
                .expect(1);
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains("ITM") && r.err().contains("caption"), r.err());
        assertFalse(r.hasStackTrace(), r.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"blip_decoder.hf.safetensors", "blip_decoder.pth"})
    void corruptWeightsAreOneLineNamingTheFile(String weights) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("corrupt-" + weights));
        copyConfigAndVocab(dir);
        byte[] full = Files.readAllBytes(FX.file(weights));
        Path bad = Files.write(dir.resolve(weights), Arrays.copyOf(full, full.length / 2));
        CliFixture.Run r = CliFixture.run(
                        "caption", "-m", bad.toString(), FX.images().get(0).toString())
                .expect(1);
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains(bad.toString()), r.err());
        assertFalse(r.hasStackTrace(), r.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "caption", "itm", "vqa", "nlvr", "embed"})
    void helpHasExamples(String command) {
        List<String> args = new ArrayList<>();
        if (!command.isEmpty()) {
            args.add(command);
        }
        args.add("--help");
        CliFixture.Run r = CliFixture.run(args).expect(0);
        assertTrue(r.out().contains("Examples:"), r.out());
        assertTrue(r.out().contains("Usage: blip4j" + (command.isEmpty() ? "" : " " + command)), r.out());
    }

    static void copyConfigAndVocab(Path dir) throws IOException {
        Files.copy(FX.file("config.json"), dir.resolve("config.json"));
        Files.copy(FX.file("vocab.txt"), dir.resolve("vocab.txt"));
    }
}

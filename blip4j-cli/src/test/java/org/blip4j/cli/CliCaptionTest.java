package org.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.blip4j.Blip;
import org.blip4j.image.RgbImage;
import org.junit.jupiter.api.Test;

/** {@code blip4j caption} reproduces the reference's decoded captions (beam and greedy) in text and JSON output. */
class CliCaptionTest {
    static final CliFixture FX = CliFixture.get();

    /** {@code caption -m <decoder> --beams B --max-length L --min-length M} with the settings of a golden. */
    static List<String> captionArgs(String golden, String weights) {
        List<String> args = new ArrayList<>(List.of(
                "caption",
                "-m",
                FX.file(weights).toString(),
                "--beams",
                String.valueOf(FX.setting(golden, "num_beams")),
                "--max-length",
                String.valueOf(FX.setting(golden, "max_length")),
                "--min-length",
                String.valueOf(FX.setting(golden, "min_length"))));
        return args;
    }

    @Test
    void beamCaptionsOfEveryImageMatchTheReference() {
        List<Path> images = FX.images();
        List<String> expected = FX.texts("beam3");
        List<String> args = captionArgs("beam3.ids", "blip_decoder.hf.safetensors");
        images.forEach(p -> args.add(p.toString()));
        CliFixture.Run r = CliFixture.run(args).expect(0);
        List<String> lines = r.outLines();
        assertEquals(images.size(), lines.size(), r.out());
        for (int i = 0; i < images.size(); i++) {
            String line = lines.get(i);
            String caption = images.size() > 1 ? line.substring(line.indexOf('\t') + 1) : line;
            if (images.size() > 1) {
                assertEquals(images.get(i).toString(), line.substring(0, line.indexOf('\t')));
            }
            assertEquals(expected.get(i), caption, "beam caption of " + images.get(i));
        }
        assertFalse(r.hasStackTrace(), r.err());
    }

    @Test
    void int8CaptionsEveryImageAndRefusesAModelWithoutDecoder() {
        List<Path> images = FX.images();
        List<String> args = captionArgs("beam3.ids", "blip_decoder.hf.safetensors");
        args.add("--int8");
        images.forEach(p -> args.add(p.toString()));
        CliFixture.Run r = CliFixture.run(args).expect(0);
        assertEquals(images.size(), r.outLines().size(), r.out());
        r.outLines().forEach(l -> assertFalse(l.substring(l.indexOf('\t') + 1).isBlank(), l));
        assertFalse(r.hasStackTrace(), r.err());

        CliFixture.Run bad = CliFixture.run(List.of(
                        "caption",
                        "-m",
                        FX.file("blip_itm.hf.safetensors").toString(),
                        "--int8",
                        images.get(0).toString()))
                .expect(2);
        assertTrue(bad.err().contains("--int8"), bad.err());
        assertFalse(bad.hasStackTrace(), bad.err());
    }

    /** --bf16 (alone and with --int8) captions every image; the products it changes are checked in core. */
    @Test
    void bf16CaptionsEveryImageAloneAndWithInt8() {
        List<Path> images = FX.images();
        for (List<String> flags : List.of(List.of("--bf16"), List.of("--bf16", "--int8"))) {
            List<String> args = captionArgs("beam3.ids", "blip_decoder.hf.safetensors");
            args.addAll(flags);
            args.addAll(List.of("--batch-size", String.valueOf(images.size())));
            images.forEach(p -> args.add(p.toString()));
            CliFixture.Run r = CliFixture.run(args).expect(0);
            assertEquals(images.size(), r.outLines().size(), flags + ": " + r.out());
            r.outLines()
                    .forEach(l -> assertFalse(l.substring(l.indexOf('\t') + 1).isBlank(), l));
            assertFalse(r.hasStackTrace(), r.err());
        }
    }

    @Test
    void singleImagePrintsTheBareCaptionFromOriginalWeights() {
        Path img = FX.images().get(0);
        List<String> args = captionArgs("beam3.ids", "blip_decoder.pth");
        args.add(img.toString());
        CliFixture.Run r = CliFixture.run(args).expect(0);
        assertEquals(List.of(FX.texts("beam3").get(0)), r.outLines());
        assertEquals("", r.err(), "nothing on stderr for a clean run");
    }

    @Test
    void jsonWritesOneObjectPerImageWithImageAndCaption() {
        List<Path> images = FX.images();
        List<String> expected = FX.texts("beam3");
        List<String> args = captionArgs("beam3.ids", "blip_decoder.hf.safetensors");
        args.add("--json");
        images.forEach(p -> args.add(p.toString()));
        CliFixture.Run r = CliFixture.run(args).expect(0);
        List<String> lines = r.outLines();
        assertEquals(images.size(), lines.size(), r.out());
        for (int i = 0; i < images.size(); i++) {
            JsonNode row = CliFixture.json(lines.get(i));
            assertEquals(List.of("image", "caption"), iterableToList(row.fieldNames()), lines.get(i));
            assertEquals(images.get(i).toString(), row.get("image").asText());
            assertEquals(expected.get(i), row.get("caption").asText());
        }
    }

    @Test
    void greedyCaptionsMatchTheReference() {
        List<Path> images = FX.images();
        List<String> expected = FX.texts("greedy20");
        List<String> args = captionArgs("greedy20.ids", "blip_decoder.hf.safetensors");
        args.add("--json");
        images.forEach(p -> args.add(p.toString()));
        CliFixture.Run r = CliFixture.run(args).expect(0);
        List<String> lines = r.outLines();
        assertEquals(images.size(), lines.size(), r.out());
        for (int i = 0; i < images.size(); i++) {
            assertEquals(
                    expected.get(i),
                    CliFixture.json(lines.get(i)).get("caption").asText(),
                    "greedy caption of " + images.get(i));
        }
    }

    /** {@code --prefix}: conditional captions start with the prefix and are the Java API's conditional captions. */
    @Test
    void prefixStartsTheCaptionAsTheJavaApiDoes() throws Exception {
        List<Path> images = FX.images();
        String[] words = FX.strings("preset_config", "captions").get(0).split(" ");
        String prefix = words[0] + " " + words[1]; // the opening of a caption the tokenizer knows
        List<String> args = new ArrayList<>(
                List.of("caption", "-m", FX.file("blip_decoder.pth").toString(), "--prefix", prefix, "--json"));
        images.forEach(p -> args.add(p.toString()));
        CliFixture.Run r = CliFixture.run(args).expect(0);
        List<String> lines = r.outLines();
        assertEquals(images.size(), lines.size(), r.out());
        List<String> api;
        try (Blip blip = Blip.load(FX.file("blip_decoder.pth"))) {
            List<RgbImage> imgs = new ArrayList<>();
            for (Path p : images) {
                imgs.add(blip.readImage(p));
            }
            api = blip.caption(
                    imgs, Blip.CaptionOptions.defaults().withPrefix(prefix)); // CLI defaults: 3 beams, 30, 10
        }
        for (int i = 0; i < images.size(); i++) {
            String caption = CliFixture.json(lines.get(i)).get("caption").asText();
            assertTrue(caption.startsWith(prefix), "starts with the prefix: " + caption);
            assertTrue(caption.length() > prefix.length(), "something generated after the prefix: " + caption);
            assertEquals(api.get(i), caption, "CLI vs Blip.caption(..., withPrefix) for " + images.get(i));
        }
    }

    /**
     * A model folder's {@code generation_config.json} sets the decoding when no option does: the fixture's decoder
     * beside a file holding the greedy golden's settings captions as the reference's greedy run; options still win.
     */
    @Test
    void theModelsGenerationConfigIsTheDefaultAndOptionsOverrideIt(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws Exception {
        for (String f : List.of("blip_decoder.hf.safetensors", "config.json", "vocab.txt")) {
            java.nio.file.Files.createSymbolicLink(tmp.resolve(f), FX.file(f).toAbsolutePath());
        }
        java.nio.file.Files.writeString(
                tmp.resolve("generation_config.json"),
                "{\"num_beams\": " + FX.setting("greedy20.ids", "num_beams") + ", \"max_length\": "
                        + FX.setting("greedy20.ids", "max_length") + ", \"min_length\": "
                        + FX.setting("greedy20.ids", "min_length") + "}\n");
        String weights = tmp.resolve("blip_decoder.hf.safetensors").toString();
        List<Path> images = FX.images();
        List<String> args = new ArrayList<>(List.of("caption", "-m", weights, "--json"));
        images.forEach(p -> args.add(p.toString()));
        List<String> lines = CliFixture.run(args).expect(0).outLines();
        List<String> greedy = FX.texts("greedy20");
        for (int i = 0; i < images.size(); i++) {
            assertEquals(
                    greedy.get(i), CliFixture.json(lines.get(i)).get("caption").asText(), "greedy by the file");
        }
        // blip4j eval decodes with the file too: its captions are the greedy goldens (ROUGE-L 1 against them)
        List<java.util.Map<String, Object>> ann = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            ann.add(java.util.Map.of(
                    "image", images.get(i).toAbsolutePath().toString(), "caption", List.of(greedy.get(i))));
        }
        new com.fasterxml.jackson.databind.ObjectMapper()
                .writeValue(tmp.resolve("ann.json").toFile(), ann);
        CliFixture.Run ev = CliFixture.run(
                        "eval",
                        "caption",
                        "-m",
                        weights,
                        "--data",
                        tmp.resolve("ann.json").toString(),
                        "--images",
                        "/",
                        "--json")
                .expect(0);
        assertEquals(1.0, CliFixture.json(ev.outLines().get(0)).get("ROUGE_L").asDouble(), 1e-9, ev.out());
        List<String> beamArgs = captionArgs("beam3.ids", "blip_decoder.hf.safetensors");
        beamArgs.set(2, weights);
        beamArgs.add("--json");
        images.forEach(p -> beamArgs.add(p.toString()));
        lines = CliFixture.run(beamArgs).expect(0).outLines();
        List<String> beam = FX.texts("beam3");
        for (int i = 0; i < images.size(); i++) {
            assertEquals(
                    beam.get(i), CliFixture.json(lines.get(i)).get("caption").asText(), "beam by the options");
        }
    }

    @Test
    void minLengthAboveMaxLengthIsAUsageError() {
        CliFixture.Run r = CliFixture.run(
                        "caption",
                        "-m",
                        FX.file("blip_decoder.hf.safetensors").toString(),
                        "--max-length",
                        "5",
                        "--min-length",
                        "6",
                        FX.images().get(0).toString())
                .expect(2);
        assertFalse(r.hasStackTrace(), r.err());
    }

    @Test
    void noRepeatNgramSizeBansRepeatsAndANegativeSizeIsAUsageError() {
        List<String> args = new ArrayList<>(List.of(
                "caption",
                "-m",
                FX.file("blip_decoder.hf.safetensors").toString(),
                "--json",
                "--no-repeat-ngram-size",
                "1"));
        FX.images().forEach(p -> args.add(p.toString()));
        for (String line : CliFixture.run(args).expect(0).outLines()) {
            String[] words = CliFixture.json(line).get("caption").asText().split(" ");
            // no token twice, so no word twice either
            assertEquals(words.length, new java.util.HashSet<>(List.of(words)).size(), line);
        }
        CliFixture.Run r = CliFixture.run(
                        "caption",
                        "-m",
                        FX.file("blip_decoder.hf.safetensors").toString(),
                        "--no-repeat-ngram-size",
                        "-1",
                        FX.images().get(0).toString())
                .expect(2);
        assertFalse(r.hasStackTrace(), r.err());
        assertTrue(r.err().contains("--no-repeat-ngram-size must be at least 0"), r.err());
    }

    static List<String> iterableToList(java.util.Iterator<String> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}

package org.blip4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.blip4j.generate.GenerationConfig;
import org.blip4j.image.RgbImage;
import org.blip4j.testutil.Fixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The library's front door, {@link Blip}: captions and answers as the reference, threads, errors, task inference. */
class BlipApiTest {
    static Fixture fx;
    static Blip decoderPth;
    static Blip decoderHf;
    static Blip vqa;
    static List<RgbImage> images;
    static Blip.CaptionOptions beam;

    @BeforeAll
    static void load() throws IOException {
        fx = Fixture.open();
        decoderPth = Blip.load(fx.require("blip_decoder.pth"));
        decoderHf = Blip.load(fx.require("blip_decoder.hf.safetensors"));
        vqa = Blip.load(fx.require("blip_vqa.pth"));
        images = new ArrayList<>();
        for (JsonNode img : fx.manifest().path("preset_config").path("images")) {
            images.add(
                    decoderPth.readImage(fx.require(img.isArray() ? img.get(0).asText() : img.asText())));
        }
        assertTrue(!images.isEmpty(), "manifest lists no images");
        beam = Blip.CaptionOptions.defaults()
                .withGeneration(GenerationConfig.beam(
                        setting("beam3.ids", "num_beams"),
                        setting("beam3.ids", "max_length"),
                        setting("beam3.ids", "min_length")));
    }

    @AfterAll
    static void close() throws IOException {
        for (Blip b : new Blip[] {decoderPth, decoderHf, vqa}) {
            if (b != null) {
                b.close();
            }
        }
        fx.close();
    }

    static int setting(String golden, String key) {
        String desc = fx.manifest().path("tensors").path(golden).path("desc").asText();
        Matcher m = Pattern.compile("\\b" + Pattern.quote(key) + "=(\\d+)").matcher(desc);
        assertTrue(m.find(), "no " + key + " in the description of " + golden + ": " + desc);
        return Integer.parseInt(m.group(1));
    }

    static List<String> texts(String name) {
        List<String> out = new ArrayList<>();
        JsonNode n = fx.manifest().path("texts").path(name);
        assertTrue(n.isArray(), "manifest has no texts." + name);
        n.forEach(t -> out.add(t.asText()));
        return out;
    }

    static List<String> manifestStrings(String key) {
        List<String> out = new ArrayList<>();
        fx.manifest().path("preset_config").path(key).forEach(t -> out.add(t.asText()));
        assertTrue(!out.isEmpty(), "manifest has no preset_config." + key);
        return out;
    }

    @Test
    void originalAndHfWeightsCaptionAsTheReference() {
        List<String> expected = texts("beam3");
        assertEquals(expected, decoderPth.caption(images, beam), "blip_decoder.pth");
        assertEquals(expected, decoderHf.caption(images, beam), "blip_decoder.hf.safetensors");
    }

    @Test
    void batchAnswersMatchTheReference() {
        List<String> questions = manifestStrings("questions");
        List<String> expected = texts("vqa");
        assertEquals(expected, vqa.answer(images.subList(0, questions.size()), questions));
    }

    /** A single question equals the reference where the reference batch did not pad it (see Blip#answer(List, List)). */
    @Test
    void singleAnswersMatchTheReferenceForUnpaddedQuestions() {
        List<String> questions = manifestStrings("questions");
        List<String> expected = texts("vqa");
        long[] mask = fx.golden("vqa.question_attention_mask").toLongs();
        int width = mask.length / questions.size();
        int checked = 0;
        for (int i = 0; i < questions.size(); i++) {
            boolean padded = false;
            for (int j = 0; j < width; j++) {
                padded |= mask[i * width + j] == 0;
            }
            if (!padded) {
                assertEquals(expected.get(i), vqa.answer(images.get(i), questions.get(i)), questions.get(i));
                checked++;
            }
        }
        assertTrue(checked > 0, "no unpadded question in the fixture");
    }

    @Test
    void concurrentCaptioningMatchesSequential() throws Exception {
        List<String> sequential = new ArrayList<>();
        for (RgbImage img : images) {
            sequential.add(decoderHf.caption(List.of(img), beam).get(0));
        }
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<List<String>>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int shift = t;
                futures.add(pool.submit(() -> {
                    // each thread walks the images from a different start, so different images run at the same time
                    String[] out = new String[images.size()];
                    for (int k = 0; k < images.size(); k++) {
                        int i = (k + shift) % images.size();
                        out[i] = decoderHf.caption(List.of(images.get(i)), beam).get(0);
                    }
                    return List.of(out);
                }));
            }
            for (Future<List<String>> f : futures) {
                assertEquals(sequential, f.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void missingPathIsAnIOExceptionNamingIt() {
        Path missing = fx.dir().resolve("no-such-model.safetensors");
        IOException e = assertThrows(IOException.class, () -> Blip.load(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void taskIsInferredForEveryFixtureCheckpoint() throws IOException {
        Map<String, Task> expected = Map.of(
                "decoder",
                Task.CAPTION,
                "itm",
                Task.ITM,
                "retrieval",
                Task.ITM,
                "vqa",
                Task.VQA,
                "pretrain",
                Task.PRETRAIN,
                "nlvr",
                Task.NLVR);
        Pattern name = Pattern.compile("blip_([a-z]+)\\.(pth|hf\\.safetensors)");
        List<Path> weights;
        try (Stream<Path> s = Files.list(fx.dir())) {
            weights = s.filter(p -> name.matcher(p.getFileName().toString()).matches())
                    .sorted()
                    .toList();
        }
        assertTrue(!weights.isEmpty(), "no blip_*.pth / blip_*.hf.safetensors in " + fx.dir());
        for (Path w : weights) {
            Matcher m = name.matcher(w.getFileName().toString());
            assertTrue(m.matches());
            Task want = expected.get(m.group(1));
            assertNotNull(want, "unknown checkpoint kind: " + w.getFileName());
            try (Blip b = Blip.load(w)) {
                assertEquals(want, b.task(), w.getFileName().toString());
            }
        }
    }

    @Test
    void pretrainCheckpointServesCaptionAndMatching() throws IOException {
        List<String> captions = manifestStrings("captions");
        try (Blip b = Blip.load(fx.require("blip_pretrain.pth"))) {
            assertEquals(Task.PRETRAIN, b.task());
            List<String> out = b.caption(images, beam);
            assertEquals(images.size(), out.size());
            out.forEach(c -> assertNotNull(c));
            double[] p = b.itm(images.get(0), captions, Blip.MatchToken.CLS);
            double[] c = b.itc(images.get(0), captions);
            assertEquals(captions.size(), p.length);
            assertEquals(captions.size(), c.length);
            for (int i = 0; i < captions.size(); i++) {
                assertTrue(p[i] >= 0 && p[i] <= 1, "itm probability " + p[i]);
                assertTrue(Math.abs(c[i]) <= 1 + 1e-5, "cosine similarity " + c[i]);
            }
        }
    }

    @Test
    void itmOverSeveralImagesScoresEachAsAlone() throws IOException {
        List<String> captions = manifestStrings("captions");
        try (Blip b = Blip.load(fx.require("blip_itm.pth"))) {
            List<List<String>> texts = new ArrayList<>();
            for (int i = 0; i < images.size(); i++) {
                texts.add(i % 2 == 0 ? captions : captions.subList(0, 1));
            }
            double[][] all = b.itm(images, texts, Blip.MatchToken.ENC);
            assertEquals(images.size(), all.length);
            for (int i = 0; i < images.size(); i++) {
                // one ViT pass for all images instead of one each: equal up to float summation order
                assertArrayEquals(b.itm(images.get(i), texts.get(i), Blip.MatchToken.ENC), all[i], 1e-6);
            }
            assertEquals(0, b.itm(images.subList(0, 1), List.of(List.of()), Blip.MatchToken.CLS)[0].length);
            assertThrows(IllegalArgumentException.class, () -> b.itm(images, List.of(), Blip.MatchToken.CLS));
        }
    }

    @Test
    void modelsRefuseTasksTheyWereNotTrainedFor() {
        UnsupportedOperationException e =
                assertThrows(UnsupportedOperationException.class, () -> vqa.caption(images, beam));
        assertTrue(e.getMessage().contains("blip_vqa.pth") && e.getMessage().contains("caption"), e.getMessage());
    }
}

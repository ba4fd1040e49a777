package org.blip4j.capfilt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.blip4j.Blip;
import org.blip4j.image.RgbImage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CapFilt on the fixture: every decision equals a direct captioning and ITM call, the output files agree with each
 * other and with the paper's rule (keep when p &gt; threshold), batching and the input format change nothing, and the
 * output folder is guarded (complete runs are left alone, other settings are refused).
 */
class CapFiltTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static Blip captioner;
    static Blip filter;

    @TempDir
    static Path tmp;

    static CapFiltData data;

    @BeforeAll
    static void load() throws Exception {
        data = CapFiltData.create(tmp.resolve("data"));
        captioner = Blip.load(data.captioner());
        filter = Blip.load(data.filter());
    }

    @AfterAll
    static void close() {
        captioner.close();
        filter.close();
    }

    static List<JsonNode> decisions(Path out) throws Exception {
        List<JsonNode> rows = new ArrayList<>();
        try (var files = Files.list(out.resolve(CapFilt.DECISIONS))) {
            for (Path f : files.sorted().toList()) {
                for (String line : Files.readAllLines(f)) {
                    rows.add(JSON.readTree(line));
                }
            }
        }
        return rows;
    }

    @Test
    void decisionsMatchDirectCallsAndOutputsAgree() throws Exception {
        Path out = tmp.resolve("out-main");
        List<String> warnings = new ArrayList<>();
        List<Long> done = new ArrayList<>();
        CapFilt.Options opts = data.options();
        CapFilt.Result r = new CapFilt(captioner, filter, opts)
                .run(data.web(), data.images(), out, new CapFilt.Listener() {
                    @Override
                    public void itemDone(long index, String image, String error) {
                        done.add(index);
                    }

                    @Override
                    public void warning(String message) {
                        warnings.add(message);
                    }
                });
        warnings.forEach(w -> System.out.println("CAPFILT warning: " + w)); // fonts may be missing: best-effort plot
        List<Long> all = new ArrayList<>();
        for (long i = 0; i < data.items(); i++) {
            all.add(i);
        }
        assertEquals(all, done, "every item reported once, in order");
        assertEquals(data.items(), r.items());
        assertEquals(2, r.rejected());
        assertEquals(data.items() - 2, r.scored());
        assertEquals(2, r.human());

        // shards of 4 items: 5 parts, each holding only its own index range
        try (var parts = Files.list(out.resolve(CapFilt.DECISIONS))) {
            assertEquals(5, parts.count());
        }
        List<JsonNode> rows = decisions(out);
        for (int s = 0; s < 5; s++) {
            for (String line : Files.readAllLines(CapFilt.decisionsPart(out, s))) {
                long idx = JSON.readTree(line).path("index").asLong();
                assertEquals(s, idx / 4, "row of item " + idx + " in shard " + s);
            }
        }

        // each item: web text(s), then 2 synthetic captions equal to a direct single-image call with the item's seed
        Blip.CaptionOptions copts = Blip.CaptionOptions.defaults().withGeneration(opts.generation());
        Map<Long, List<JsonNode>> byItem = new LinkedHashMap<>();
        rows.forEach(row -> byItem.computeIfAbsent(row.path("index").asLong(), k -> new ArrayList<>())
                .add(row));
        List<JsonNode> web = readArray(data.web());
        double maxDiff = 0;
        long webTexts = 0;
        long syntheticKept = 0;
        long webKept = 0;
        List<String> keptWeb = new ArrayList<>();
        List<String> keptSynthetic = new ArrayList<>();
        for (long i = 0; i < data.items(); i++) {
            if (data.missing().contains(i) || data.corrupt().contains(i)) {
                assertFalse(byItem.containsKey(i), "no decisions for rejected item " + i);
                continue;
            }
            JsonNode entry = web.get((int) i);
            List<String> webCaptions = new ArrayList<>();
            if (entry.get("caption").isArray()) {
                entry.get("caption").forEach(c -> webCaptions.add(c.asText()));
            } else {
                webCaptions.add(entry.get("caption").asText());
            }
            Path imagePath = data.images().resolve(entry.get("image").asText());
            RgbImage img = captioner.readImage(imagePath);
            List<String> synthetic = captioner
                    .captions(
                            List.of(img),
                            copts.withGeneration(opts.generation().withSeed(CapFilt.itemSeed(opts.seed(), i))),
                            2)
                    .get(0);
            List<JsonNode> item = byItem.get(i);
            assertEquals(webCaptions.size() + 2, item.size(), "rows of item " + i);
            List<String> allTexts = new ArrayList<>(webCaptions);
            allTexts.addAll(synthetic);
            // the pipeline's call; equal up to float32 summation order (libtorch may split a GEMM differently across
            // threads when the machine is loaded: CI saw 4 ulps), far below what a wrong pairing would change
            double[] together = filter.itm(img, allTexts, Blip.MatchToken.CLS);
            for (int j = 0; j < item.size(); j++) {
                assertEquals(
                        together[j], item.get(j).get("itm_probability").asDouble(), 1e-6, "item " + i + " text " + j);
            }
            for (int j = 0; j < item.size(); j++) {
                JsonNode row = item.get(j);
                boolean isWeb = j < webCaptions.size();
                String text = isWeb ? webCaptions.get(j) : synthetic.get(j - webCaptions.size());
                assertEquals(List.of("index", "image", "text", "source", "itm_probability", "kept"), names(row));
                assertEquals(entry.get("image").asText(), row.get("image").asText());
                assertEquals(text, row.get("text").asText(), "text " + j + " of item " + i);
                assertEquals(isWeb ? "web" : "synthetic", row.get("source").asText());
                double direct = filter.itm(img, List.of(text), Blip.MatchToken.CLS)[0];
                double p = row.get("itm_probability").asDouble();
                maxDiff = Math.max(maxDiff, Math.abs(direct - p));
                // alone, the text is padded differently: equal up to float rounding
                assertEquals(direct, p, 1e-6, "decision matches a direct ITM call: item " + i + " text " + j);
                assertEquals(p > 0.5, row.get("kept").asBoolean(), "kept iff p > 0.5");
                if (isWeb) {
                    webTexts++;
                }
                if (row.get("kept").asBoolean()) {
                    Map<String, String> m = new LinkedHashMap<>();
                    m.put("image", imagePath.toString());
                    m.put("caption", text);
                    String e = JSON.writeValueAsString(m);
                    if (isWeb) {
                        webKept++;
                        keptWeb.add(e);
                    } else {
                        syntheticKept++;
                        keptSynthetic.add(e);
                    }
                }
            }
        }
        System.out.printf("CAPFILT max |p - direct itm| = %.3e over %d rows%n", maxDiff, rows.size());
        assertEquals(new CapFilt.Counts(webTexts, webKept), r.web());
        assertEquals(new CapFilt.Counts(2L * (data.items() - 2), syntheticKept), r.synthetic());
        assertTrue(webKept > 0 && webKept < webTexts, "the fixture filter keeps some web texts and drops others");

        // bootstrapped.json: human entries as written, kept web texts, kept synthetic ones (image path opened)
        List<JsonNode> expected = new ArrayList<>(readArray(data.human()));
        for (String e : keptWeb) {
            expected.add(JSON.readTree(e));
        }
        for (String e : keptSynthetic) {
            expected.add(JSON.readTree(e));
        }
        List<JsonNode> got = readArray(out.resolve(CapFilt.BOOTSTRAPPED));
        assertEquals(expected, got);
        for (JsonNode n : got.subList(2, got.size())) {
            assertEquals(List.of("image", "caption"), names(n));
        }
        List<String> lines = Files.readAllLines(out.resolve(CapFilt.BOOTSTRAPPED));
        assertEquals("[", lines.get(0));
        assertEquals("]", lines.get(lines.size() - 1));
        assertEquals(
                JSON.writeValueAsString(readArray(data.human()).get(0)) + ",",
                lines.get(1),
                "a human entry is copied with all its keys, one entry per line");
        assertEquals(r.bootstrapped(), got.size());

        // rejects: the missing and the corrupt image, with their errors
        List<String> rejects = Files.readAllLines(out.resolve(CapFilt.REJECTS));
        assertEquals(2, rejects.size(), String.join("\n", rejects));
        JsonNode missing = JSON.readTree(rejects.get(0));
        JsonNode corrupt = JSON.readTree(rejects.get(1));
        assertEquals(CapFiltData.MISSING, missing.get("index").asLong());
        assertEquals("missing.png", missing.get("image").asText());
        assertEquals("file not found", missing.get("error").asText());
        assertEquals(CapFiltData.CORRUPT, corrupt.get("index").asLong());
        assertFalse(corrupt.get("error").asText().isBlank());

        // report: counts and histograms agree with the decisions
        JsonNode report = JSON.readTree(out.resolve(CapFilt.REPORT).toFile());
        assertEquals(webKept, report.at("/web/kept").asLong());
        assertEquals(webTexts - webKept, report.at("/web/removed").asLong());
        assertEquals(syntheticKept, report.at("/synthetic/kept").asLong());
        assertEquals(2, report.get("rejected").asLong());
        assertEquals(got.size(), report.get("bootstrapped").asLong());
        long[][] hist = new long[2][RunState.BINS];
        for (JsonNode row : rows) {
            hist[row.get("source").asText().equals("web") ? 0 : 1][
                    RunState.bin(row.get("itm_probability").asDouble())]++;
        }
        for (int s = 0; s < 2; s++) {
            long[] h = new long[RunState.BINS];
            JsonNode a = report.at("/histogram/" + (s == 0 ? "web" : "synthetic"));
            for (int b = 0; b < h.length; b++) {
                h[b] = a.get(b).asLong();
            }
            assertArrayEquals(hist[s], h, "histogram of source " + s);
        }
        assertEquals(RunState.BINS + 1, report.at("/histogram/bin_edges").size());

        BufferedImage png = ImageIO.read(out.resolve(CapFilt.HISTOGRAM).toFile());
        assertTrue(png != null && png.getWidth() > 100 && png.getHeight() > 100, "histogram PNG");

        String html = Files.readString(out.resolve(CapFilt.EXAMPLES));
        Matcher m = Pattern.compile("<img src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"")
                .matcher(html);
        int thumbs = 0;
        while (m.find()) {
            BufferedImage t = ImageIO.read(new java.io.ByteArrayInputStream(
                    java.util.Base64.getDecoder().decode(m.group(1))));
            assertTrue(t != null && t.getWidth() > 0, "thumbnail decodes");
            thumbs++;
        }
        assertEquals(5, thumbs, "5 examples with inline thumbnails");
        assertTrue(html.contains("kept") && html.contains("p(match) = "), "scores and decisions on the page");

        JsonNode progress = JSON.readTree(out.resolve(CapFilt.PROGRESS).toFile());
        assertTrue(progress.get("complete").asBoolean());
        assertEquals(data.items(), progress.get("next_item").asLong());
        assertFalse(Files.exists(out.resolve(CapFilt.WORK)), "work fragments removed once complete");

        // a complete run is left alone; other settings are refused; foreign folders too
        Map<Path, byte[]> before = CapFiltResumeTest.snapshot(out);
        CapFilt.Result again = new CapFilt(captioner, filter, opts).run(data.web(), data.images(), out, null);
        assertTrue(again.alreadyComplete());
        assertEquals(r.web(), again.web());
        CapFiltResumeTest.assertSameFiles(before, CapFiltResumeTest.snapshot(out));
        CapFilt.OutputConflictException e = assertThrows(
                CapFilt.OutputConflictException.class,
                () -> new CapFilt(captioner, filter, opts.withThreshold(0.6))
                        .run(data.web(), data.images(), out, null));
        assertTrue(e.getMessage().contains("threshold"), e.getMessage());
        Path foreign = Files.createDirectories(tmp.resolve("foreign"));
        Files.writeString(foreign.resolve("notes.txt"), "mine");
        assertThrows(
                CapFilt.OutputConflictException.class,
                () -> new CapFilt(captioner, filter, opts).run(data.web(), data.images(), foreign, null));
    }

    @Test
    void batchingAndInputFormatDoNotChangeDecisions() throws Exception {
        CapFilt.Options opts =
                data.options().withHuman(null).withCaptionsPerImage(1).withExamples(0);
        Path a = tmp.resolve("batch1");
        Path b = tmp.resolve("batch5");
        new CapFilt(captioner, filter, opts.withBatchSize(1)).run(data.webLines(), data.images(), a, null);
        new CapFilt(captioner, filter, opts.withBatchSize(5).withShardSize(7)).run(data.web(), data.images(), b, null);
        List<JsonNode> ra = decisions(a);
        List<JsonNode> rb = decisions(b);
        assertEquals(ra.size(), rb.size());
        for (int i = 0; i < ra.size(); i++) {
            assertEquals(ra.get(i).get("text"), rb.get(i).get("text"), "row " + i);
            assertEquals(ra.get(i).get("kept"), rb.get(i).get("kept"), "row " + i);
            assertEquals(
                    ra.get(i).get("itm_probability").asDouble(),
                    rb.get(i).get("itm_probability").asDouble(),
                    1e-6);
        }
        assertEquals(Files.readString(a.resolve(CapFilt.REJECTS)), Files.readString(b.resolve(CapFilt.REJECTS)));
    }

    @Test
    void beamDecodingAndEncTokenAreOptions() throws Exception {
        CapFilt.Options opts = data.options()
                .withHuman(null)
                .withGeneration(CapFilt.Options.beam())
                .withCaptionsPerImage(2)
                .withMatchToken(Blip.MatchToken.ENC)
                .withExamples(0);
        Path out = tmp.resolve("beam");
        new CapFilt(captioner, filter, opts).run(data.web(), data.images(), out, null);
        List<JsonNode> rows = decisions(out);
        JsonNode first = rows.get(0);
        RgbImage img =
                captioner.readImage(data.images().resolve(first.get("image").asText()));
        assertEquals(
                filter.itm(img, List.of(first.get("text").asText()), Blip.MatchToken.ENC)[0],
                first.get("itm_probability").asDouble(),
                1e-6);
        List<String> beams = captioner
                .captions(List.of(img), Blip.CaptionOptions.defaults().withGeneration(CapFilt.Options.beam()), 2)
                .get(0);
        List<String> synthetic = rows.stream()
                .filter(r ->
                        r.get("index").asLong() == 0 && r.get("source").asText().equals("synthetic"))
                .map(r -> r.get("text").asText())
                .toList();
        assertEquals(beams, synthetic, "the 2 best beams");
        assertThrows(IllegalArgumentException.class, () -> new CapFilt(filter, filter, opts));
    }

    @Test
    void histogramDrawsWithoutTextWhenFontsAreMissing() throws Exception {
        long[][] hist = new long[2][RunState.BINS];
        hist[0][3] = 5;
        hist[1][15] = 2;
        BufferedImage img = ImageIO.read(new java.io.ByteArrayInputStream(ItmHistogramPlot.draw(hist, 0.5, false)));
        assertEquals(
                ItmHistogramPlot.WEB.getRGB() & 0xffffff,
                img.getRGB(70 + (820 - 90) * 3 / 20 + 10, 410) & 0xffffff,
                "a web bar in bin 3");
    }

    static List<JsonNode> readArray(Path file) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        JSON.readTree(file.toFile()).forEach(out::add);
        return out;
    }

    static List<String> names(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }
}

package org.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.blip4j.io.RawTensor;
import org.blip4j.io.SafeTensors;
import org.blip4j.retrieval.EmbeddingIndex;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code blip4j index} and {@code blip4j search} end to end on the reference fixture's retrieval model: exit codes,
 * de-duplication, per-item failures, and rankings equal to the golden scores' order.
 */
class RetrievalCliTest {
    static Path fixture;
    static Path model;
    static List<Path> images;
    static List<String> captions;
    static float[][] sim;
    static float[][] itm;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /**
     * The fixture dir: system property {@code blip4j.fixture}, else ../shared/fixtures/blip-tiny from the repo root.
     */
    @BeforeAll
    static void fixture() throws Exception {
        String p = System.getProperty("blip4j.fixture", "../shared/fixtures/blip-tiny");
        Path dir = Paths.get(p).toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            dir = Paths.get("..").resolve(p).toAbsolutePath().normalize(); // surefire runs in the module folder
        }
        if (!Files.isDirectory(dir)) {
            fail("fixture directory not found: " + p + " (set -Dblip4j.fixture=DIR)");
        }
        fixture = dir;
        model = require("blip_retrieval.pth");
        JsonNode preset = JSON.readTree(require("manifest.json").toFile()).path("preset_config");
        images = new ArrayList<>();
        for (JsonNode e : preset.path("images")) {
            images.add(require((e.isArray() ? e.get(0) : e).asText()));
        }
        captions = new ArrayList<>();
        for (JsonNode c : preset.path("captions")) {
            captions.add(c.asText());
        }
        try (SafeTensors st = SafeTensors.open(require("goldens.safetensors"))) {
            sim = matrix(st.get("retrieval.sim"));
            itm = matrix(st.get("retrieval.itm_score"));
        }
    }

    static Path require(String name) {
        Path f = fixture.resolve(name);
        if (!Files.isRegularFile(f)) {
            fail("fixture file missing: " + f);
        }
        return f;
    }

    static float[][] matrix(RawTensor t) {
        int r = (int) t.shape()[0];
        int c = (int) t.shape()[1];
        assertEquals(images.size(), r);
        assertEquals(captions.size(), c);
        float[] f = t.toFloats();
        float[][] m = new float[r][c];
        for (int i = 0; i < r; i++) {
            System.arraycopy(f, i * c, m[i], 0, c);
        }
        return m;
    }

    record Run(int code, String out, String err) {
        List<JsonNode> json() throws Exception {
            List<JsonNode> rows = new ArrayList<>();
            for (String line : out.split("\n")) {
                if (!line.isBlank()) {
                    rows.add(JSON.readTree(line));
                }
            }
            return rows;
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    static String[] args(Object... parts) {
        List<String> a = new ArrayList<>();
        for (Object p : parts) {
            if (p instanceof List<?> l) {
                l.forEach(x -> a.add(x.toString()));
            } else {
                a.add(p.toString());
            }
        }
        return a.toArray(new String[0]);
    }

    static String id(Path p) {
        return p.toAbsolutePath().normalize().toString();
    }

    @Test
    void indexSkipsImagesAlreadyPresentAndReportsFailures() throws Exception {
        Path idx = tmp.resolve("photos.idx");
        Run first = run(args("index", "-m", model, "--index", idx, images));
        assertEquals(0, first.code(), first.err());
        assertTrue(first.out().contains("added " + images.size()), first.out());
        try (EmbeddingIndex ix = EmbeddingIndex.openReadOnly(idx)) {
            assertEquals(images.size(), ix.size());
            assertEquals(EmbeddingIndex.Kind.IMAGE, ix.kind());
            for (int i = 0; i < images.size(); i++) {
                assertEquals(id(images.get(i)), ix.id(i));
            }
        }
        // again, plus one image twice through another spelling of its path, plus a missing file
        Path other =
                images.get(0).getParent().resolve(".").resolve(images.get(0).getFileName());
        Path missing = tmp.resolve("nope.png");
        Run again = run(args("index", "-m", model, "--index", idx, images, other, missing));
        assertEquals(1, again.code(), "a failed item gives exit code 1");
        assertTrue(again.err().contains("nope.png"), again.err());
        assertTrue(again.out().contains("added 0, skipped " + (images.size() + 1)), again.out());
        try (EmbeddingIndex ix = EmbeddingIndex.openReadOnly(idx)) {
            assertEquals(images.size(), ix.size(), "no duplicate rows");
        }
    }

    @Test
    void textSearchRanksByGoldenScores() throws Exception {
        Path idx = tmp.resolve("photos.idx");
        assertEquals(
                0,
                run(args("index", "-m", model, "--index", idx, "--json", images))
                        .code());
        int n = images.size();
        for (int c = 0; c < captions.size(); c++) {
            int cap = c;
            Run r = run(args("search", "-m", model, "--index", idx, "--text", captions.get(c), "-k", n, "--json"));
            assertEquals(0, r.code(), r.err());
            List<JsonNode> rows = r.json();
            List<String> expect = IntStream.range(0, n)
                    .boxed()
                    .sorted(Comparator.<Integer>comparingDouble(i -> itm[i][cap] + sim[i][cap])
                            .reversed())
                    .map(i -> id(images.get(i)))
                    .toList();
            assertEquals(expect, rows.stream().map(j -> j.get("image").asText()).toList(), "caption " + c);
            for (int k = 0; k < n; k++) {
                JsonNode j = rows.get(k);
                int i = images.stream()
                        .map(RetrievalCliTest::id)
                        .toList()
                        .indexOf(j.get("image").asText());
                assertEquals(k + 1, j.get("rank").asInt());
                assertEquals(sim[i][cap], j.get("cosine").asDouble(), 1e-5);
                assertEquals(itm[i][cap], j.get("itm").asDouble(), 1e-4);
                assertEquals(itm[i][cap] + sim[i][cap], j.get("score").asDouble(), 1e-4);
            }
            Run itc = run(args("search", "-m", model, "--index", idx, "-t", captions.get(c), "-k", 1, "--no-rerank"));
            assertEquals(0, itc.code(), itc.err());
            int best = IntStream.range(0, n)
                    .boxed()
                    .max(Comparator.comparingDouble(i -> sim[i][cap]))
                    .orElseThrow();
            String[] cols = itc.out().strip().split("\t");
            assertEquals(4, cols.length, itc.out());
            assertEquals("1", cols[0]);
            assertEquals(sim[best][cap], Double.parseDouble(cols[2]), 1e-4);
            assertEquals(cols[1], cols[2], "without re-ranking the score is the cosine");
            assertEquals(id(images.get(best)), cols[3]);
        }
    }

    @Test
    void aCandidateWhoseImageVanishedIsReportedAndSkipped() throws Exception {
        Path copies = Files.createDirectories(tmp.resolve("copies"));
        List<Path> local = new ArrayList<>();
        for (Path p : images) {
            local.add(Files.copy(p, copies.resolve(p.getFileName())));
        }
        Path idx = tmp.resolve("photos.idx");
        assertEquals(0, run(args("index", "-m", model, "--index", idx, copies)).code());
        Files.delete(local.get(0));
        Run r = run(args("search", "-m", model, "--index", idx, "-t", captions.get(0), "-k", images.size()));
        assertEquals(1, r.code());
        assertTrue(r.err().contains(local.get(0).getFileName().toString()), r.err());
        assertEquals(images.size() - 1, r.out().strip().split("\n").length, r.out());
    }

    @Test
    void imageSearchRanksTextsInMemoryAndThroughATextIndex() throws Exception {
        Path list = tmp.resolve("texts.txt");
        Files.write(list, captions);
        int nc = captions.size();
        for (int i = 0; i < images.size(); i++) {
            int im = i;
            List<String> expect = IntStream.range(0, nc)
                    .boxed()
                    .sorted(Comparator.<Integer>comparingDouble(c -> itm[im][c] + sim[im][c])
                            .reversed())
                    .map(captions::get)
                    .toList();
            Run mem = run(args("search", "-m", model, "--image", images.get(i), "--texts", list, "-k", nc, "--json"));
            assertEquals(0, mem.code(), mem.err());
            assertEquals(
                    expect, mem.json().stream().map(j -> j.get("text").asText()).toList());
            Path tidx = tmp.resolve("texts.idx");
            Run cached = run(args(
                    "search",
                    "-m",
                    model,
                    "--image",
                    images.get(i),
                    "--texts",
                    list,
                    "--index",
                    tidx,
                    "-k",
                    nc,
                    "--json"));
            assertEquals(0, cached.code(), cached.err());
            assertEquals(
                    expect,
                    cached.json().stream().map(j -> j.get("text").asText()).toList());
            try (EmbeddingIndex ix = EmbeddingIndex.openReadOnly(tidx)) {
                assertEquals(nc, ix.size(), "texts added once");
            }
            Run fromIndex =
                    run(args("search", "-m", model, "--image", images.get(i), "--index", tidx, "-k", nc, "--json"));
            assertEquals(
                    expect,
                    fromIndex.json().stream().map(j -> j.get("text").asText()).toList());
        }
    }

    @Test
    void imageSearchCentredOnAGalleryScoresTextsByCosineLessTheirMeanOverTheGallery() throws Exception {
        Path list = tmp.resolve("texts.txt");
        Files.write(list, captions);
        Path gallery = tmp.resolve("photos.idx");
        assertEquals(
                0, run(args("index", "-m", model, "--index", gallery, images)).code());
        int nc = captions.size();
        double[] mean = new double[nc]; // each text's mean cosine over the gallery, from the reference's matrix
        for (int c = 0; c < nc; c++) {
            for (float[] row : sim) {
                mean[c] += row[c] / sim.length;
            }
        }
        for (int i = 0; i < images.size(); i++) {
            int im = i;
            for (boolean rerank : new boolean[] {true, false}) {
                List<String> expect = IntStream.range(0, nc)
                        .boxed()
                        .sorted(Comparator.<Integer>comparingDouble(
                                        c -> (rerank ? itm[im][c] : 0) + sim[im][c] - mean[c])
                                .reversed())
                        .map(captions::get)
                        .toList();
                Run r = run(args(
                        "search",
                        "-m",
                        model,
                        "--image",
                        images.get(i),
                        "--texts",
                        list,
                        "--center-on",
                        gallery,
                        "-k",
                        nc,
                        "--json",
                        rerank ? "--candidates=" + nc : "--no-rerank"));
                assertEquals(0, r.code(), r.err());
                List<JsonNode> rows = r.json();
                assertEquals(
                        expect, rows.stream().map(j -> j.get("text").asText()).toList(), "image " + i);
                for (JsonNode j : rows) {
                    int c = captions.indexOf(j.get("text").asText());
                    assertEquals(sim[i][c], j.get("cosine").asDouble(), 1e-4, "the plain cosine is kept");
                    double want = (rerank ? itm[i][c] : 0) + sim[i][c] - mean[c];
                    assertEquals(want, j.get("score").asDouble(), rerank ? 2e-3 : 1e-4, "image " + i + ", text " + c);
                }
            }
        }
        Run textQuery = run(args("search", "-m", model, "--index", gallery, "-t", "x", "--center-on", gallery));
        assertEquals(2, textQuery.code(), "--center-on is for image queries");
        Path texts = tmp.resolve("texts.idx");
        assertEquals(
                0,
                run(args("search", "-m", model, "--image", images.get(0), "--texts", list, "--index", texts))
                        .code());
        Run notImages =
                run(args("search", "-m", model, "--image", images.get(0), "--index", texts, "--center-on", texts));
        assertEquals(1, notImages.code());
        assertTrue(
                notImages.err().contains("image embeddings") && notImages.err().contains(texts.toString()),
                notImages.err());
    }

    @Test
    void usageErrorsAndMismatchedIndexes() throws Exception {
        assertEquals(2, run("search", "-m", model.toString()).code(), "no query");
        assertEquals(2, run("search", "-m", model.toString(), "-t", "x").code(), "--text without --index");
        assertEquals(
                2,
                run("search", "-m", model.toString(), "--image", images.get(0).toString())
                        .code());
        assertEquals(
                2,
                run("search", "-m", model.toString(), "--index", "x", "-t", "x", "-k", "0")
                        .code());
        Run missing = run(
                "search", "-m", model.toString(), "--index", tmp.resolve("none").toString(), "-t", "x");
        assertEquals(1, missing.code());
        assertTrue(missing.err().startsWith("blip4j: "), missing.err());
        Path idx = tmp.resolve("photos.idx");
        assertEquals(
                0,
                run(args("index", "-m", model, "--index", idx, images.get(0))).code());
        Run wrongKind = run(args("search", "-m", model, "--index", idx, "--image", images.get(0)));
        assertEquals(1, wrongKind.code());
        assertTrue(wrongKind.err().contains("image embeddings"), wrongKind.err());
        assertTrue(run("search", "--help").out().contains("--no-rerank"));
        assertTrue(run("--help").out().contains("index"));
    }

    @Test
    void embedRawWritesUnprojectedStates() throws Exception {
        Run r = run(args(
                "embed", "-m", model, "--multimodal", images.get(0), "-t", captions.get(0), "-t", captions.get(1)));
        assertEquals(0, r.code(), r.err());
        List<JsonNode> rows = r.json();
        assertEquals(1 + 2 + 2, rows.size()); // image states, 2 multimodal pairs, 2 text states
        JsonNode img = rows.get(0).get("states");
        assertTrue(img.size() > 1 && img.get(0).size() > 1, "image states are (N, W)");
        assertEquals(img.get(0).size(), rows.get(1).get("multimodal").size());
        assertEquals(img.get(0).size(), rows.get(4).get("states").size());
    }
}

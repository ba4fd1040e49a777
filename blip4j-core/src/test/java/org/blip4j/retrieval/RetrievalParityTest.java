package org.blip4j.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.IntToDoubleFunction;
import java.util.stream.IntStream;
import org.blip4j.Blip;
import org.blip4j.image.RgbImage;
import org.blip4j.io.RawTensor;
import org.blip4j.testutil.Fixture;
import org.blip4j.weights.Checkpoints;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Retrieval against the reference fixture ({@code BLIP_Retrieval} weights; the score and ranking tests from both the
 * {@code .pth} and the {@code .hf.safetensors}): every ITC cosine equals {@code retrieval.sim}, every re-ranked
 * candidate's ITM logit equals {@code retrieval.itm_score} ([ENC] first), and the ranking is the one those golden
 * scores imply, for text→image and image→text. Images and captions come from the manifest ({@code preset_config}).
 */
class RetrievalParityTest {
    static final double SIM_TOL = 1e-5;
    static final double ITM_TOL = 1e-4;

    static Fixture fx;
    static Blip blip;
    static Blip hf;
    static List<Path> images;
    static List<String> captions;
    static float[][] sim; // [image][caption]
    static float[][] itm; // [image][caption]

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() throws Exception {
        fx = Fixture.open();
        blip = Blip.load(fx.require("blip_retrieval.pth"));
        hf = Blip.load(fx.require("blip_retrieval.hf.safetensors"));
        JsonNode preset = fx.manifest().path("preset_config");
        images = new ArrayList<>();
        for (JsonNode e : preset.path("images")) {
            images.add(fx.require((e.isArray() ? e.get(0) : e).asText()));
        }
        captions = new ArrayList<>();
        for (JsonNode c : preset.path("captions")) {
            captions.add(c.asText());
        }
        assertTrue(images.size() > 1 && captions.size() > 1, "manifest preset_config needs images and captions");
        sim = matrix("retrieval.sim");
        itm = matrix("retrieval.itm_score");
    }

    @AfterAll
    static void close() throws Exception {
        blip.close();
        hf.close();
        fx.close();
    }

    static float[][] matrix(String name) {
        RawTensor t = fx.golden(name);
        assertArrayEquals(new long[] {images.size(), captions.size()}, t.shape(), name + " shape");
        float[] f = t.toFloats();
        float[][] m = new float[images.size()][captions.size()];
        for (int i = 0; i < m.length; i++) {
            System.arraycopy(f, i * captions.size(), m[i], 0, captions.size());
        }
        return m;
    }

    /** Row order implied by golden scores: desc, ties by row. */
    static List<Integer> order(int n, IntToDoubleFunction score) {
        return IntStream.range(0, n)
                .boxed()
                .sorted(Comparator.<Integer>comparingDouble(score::applyAsDouble)
                        .reversed()
                        .thenComparingInt(r -> r))
                .toList();
    }

    /** The model loaded from the fixture's .pth ("pth") or .hf.safetensors ("hf"). */
    static Blip model(String format) {
        return format.equals("hf") ? hf : blip;
    }

    EmbeddingIndex imageIndex() throws Exception {
        return imageIndex(blip);
    }

    EmbeddingIndex imageIndex(Blip blip) throws Exception {
        EmbeddingIndex idx =
                EmbeddingIndex.create(tmp.resolve("images"), blip.config().embedDim(), EmbeddingIndex.Kind.IMAGE);
        for (Path p : images) {
            idx.append(p.toString(), blip.imageEmbedding(blip.readImage(p)));
        }
        return idx;
    }

    @ParameterizedTest
    @ValueSource(strings = {"pth", "hf"})
    void textToImageMatchesReferenceScoresAndRanking(String format) throws Exception {
        int ni = images.size();
        Retriever r = new Retriever(model(format));
        double maxSim = 0;
        double maxItm = 0;
        try (EmbeddingIndex idx = imageIndex(model(format))) {
            for (int j = 0; j < captions.size(); j++) {
                int c = j;
                Retriever.Result res = r.textToImage(
                        captions.get(j),
                        idx,
                        Retriever.Options.defaults().withTopK(ni).withCandidates(ni));
                assertTrue(res.failures().isEmpty(), res.failures().toString());
                assertEquals(ni, res.hits().size());
                for (Retriever.Hit h : res.hits()) {
                    assertEquals(images.get(h.row()).toString(), h.id());
                    maxSim = Math.max(maxSim, Math.abs(h.cosine() - sim[h.row()][c]));
                    maxItm = Math.max(maxItm, Math.abs(h.itm() - itm[h.row()][c]));
                    assertEquals(sim[h.row()][c], h.cosine(), SIM_TOL, "cosine image " + h.row() + " caption " + c);
                    assertEquals(itm[h.row()][c], h.itm(), ITM_TOL, "itm image " + h.row() + " caption " + c);
                    assertEquals(h.itm() + h.cosine(), h.score(), 1e-12);
                }
                assertEquals(order(ni, i -> itm[i][c] + sim[i][c]), rows(res), "text→image ranking, caption " + c);

                Retriever.Result itc = r.textToImage(
                        captions.get(j),
                        idx,
                        Retriever.Options.defaults().withTopK(ni).withRerank(false));
                assertEquals(order(ni, i -> sim[i][c]), rows(itc), "ITC-only ranking, caption " + c);
                for (Retriever.Hit h : itc.hits()) {
                    assertEquals(sim[h.row()][c], h.score(), SIM_TOL);
                    assertTrue(Double.isNaN(h.itm()));
                }
            }
        }
        System.out.printf(
                "PARITY %-58s max|diff| = %.3e (tol %.0e)%n", format + " retrieval.sim (text→image)", maxSim, SIM_TOL);
        System.out.printf(
                "PARITY %-58s max|diff| = %.3e (tol %.0e)%n",
                format + " retrieval.itm_score (text→image)", maxItm, ITM_TOL);
    }

    @Test
    void onlyTheItcCandidatesAreReranked() throws Exception {
        // the protocol: ITM scores only the k ITC best; the others never enter the ranking
        int ni = images.size();
        int k = ni - 1;
        Retriever r = new Retriever(blip);
        try (EmbeddingIndex idx = imageIndex()) {
            for (int j = 0; j < captions.size(); j++) {
                int c = j;
                List<Integer> itcTop = order(ni, i -> sim[i][c]).subList(0, k);
                List<Integer> expect = itcTop.stream()
                        .sorted(Comparator.<Integer>comparingDouble(i -> itm[i][c] + sim[i][c])
                                .reversed())
                        .toList();
                Retriever.Result res = r.textToImage(
                        captions.get(j),
                        idx,
                        Retriever.Options.defaults().withTopK(ni).withCandidates(k));
                assertEquals(expect, rows(res), "caption " + c);
                Retriever.Result top1 = r.textToImage(
                        captions.get(j),
                        idx,
                        Retriever.Options.defaults().withTopK(1).withCandidates(k));
                assertEquals(expect.subList(0, 1), rows(top1));
                assertEquals(1, top1.hits().get(0).rank());
            }
        }
    }

    @Test
    void aCaptionerReranksTheCandidatesByItsLikelihoodOfTheText() throws Exception {
        // ITC still picks the candidates; the captioner's log p(query | image) orders them (CaptionLikelihoodTest
        // checks that score against the reference's decoder logits)
        int ni = images.size();
        int k = ni - 1;
        try (Blip cap = Blip.load(fx.require("blip_decoder.pth"));
                EmbeddingIndex idx = imageIndex()) {
            Retriever r = new Retriever(blip, id -> blip.readImage(Path.of(id)), cap);
            List<RgbImage> all = new ArrayList<>();
            for (Path p : images) {
                all.add(cap.readImage(p));
            }
            for (int j = 0; j < captions.size(); j++) {
                int c = j;
                double[] ll = cap.captionLogProb(all, captions.get(j));
                List<Integer> expect = order(ni, i -> sim[i][c]).subList(0, k).stream()
                        .sorted(Comparator.<Integer>comparingDouble(i -> ll[i]).reversed())
                        .toList();
                Retriever.Result res = r.textToImage(
                        captions.get(j),
                        idx,
                        Retriever.Options.defaults()
                                .withTopK(ni)
                                .withCandidates(k)
                                .withBatchSize(2));
                assertEquals(expect, rows(res), "caption " + c);
                for (Retriever.Hit h : res.hits()) {
                    assertEquals(ll[h.row()], h.score(), 1e-4, "the score is the likelihood");
                    assertEquals(sim[h.row()][c], h.cosine(), SIM_TOL);
                    assertTrue(Double.isNaN(h.itm()), "no ITM without ITM re-ranking");
                }
            }
            for (int i = 0; i < ni; i++) { // image→text: the per-token score orders an image's candidate texts
                int img = i;
                double[] lp = cap.captionLogProb(all.get(i), captions);
                List<Integer> expect = order(captions.size(), c -> sim[img][c]).subList(0, captions.size() - 1).stream()
                        .sorted(Comparator.<Integer>comparingDouble(c -> lp[c]).reversed())
                        .toList();
                Retriever.Result res = r.imageToText(
                        all.get(i),
                        captions,
                        Retriever.Options.defaults().withTopK(captions.size()).withCandidates(captions.size() - 1));
                assertEquals(expect, rows(res), "image " + i);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"pth", "hf"})
    void imageToTextMatchesReferenceScoresAndRanking(String format) throws Exception {
        int nc = captions.size();
        Blip blip = model(format);
        Retriever r = new Retriever(blip);
        Retriever.Options all = Retriever.Options.defaults().withTopK(nc).withCandidates(nc);
        try (EmbeddingIndex texts =
                EmbeddingIndex.create(tmp.resolve("texts"), blip.config().embedDim(), EmbeddingIndex.Kind.TEXT)) {
            float[][] emb = r.textEmbeddings(captions, false);
            for (int j = 0; j < nc; j++) {
                texts.append(captions.get(j), emb[j]);
            }
            for (int i = 0; i < images.size(); i++) {
                int im = i;
                RgbImage img = blip.readImage(images.get(i));
                Retriever.Result res = r.imageToText(img, texts, all);
                assertEquals(order(nc, c -> itm[im][c] + sim[im][c]), rows(res), "image→text ranking, image " + i);
                for (Retriever.Hit h : res.hits()) {
                    assertEquals(captions.get(h.row()), h.id());
                    assertEquals(sim[i][h.row()], h.cosine(), SIM_TOL, "cosine image " + i + " caption " + h.row());
                    assertEquals(itm[i][h.row()], h.itm(), ITM_TOL, "itm image " + i + " caption " + h.row());
                }
                Retriever.Result mem = r.imageToText(img, captions, all);
                assertEquals(rows(res), rows(mem), "in-memory texts rank like the index");
                for (int k = 0; k < nc; k++) {
                    assertEquals(
                            res.hits().get(k).score(), mem.hits().get(k).score(), 1e-6); // rows re-normalised on append
                }
                assertEquals(
                        order(nc, c -> sim[im][c]),
                        rows(r.imageToText(img, texts, all.withRerank(false))),
                        "ITC-only, image " + i);
            }
        }
    }

    @Test
    void manyTextsAgainstOneImageAreScoredInSeveralPasses() throws Exception {
        // more texts than one ITM forward pass takes: every copy still gets its golden logit
        List<String> many = new ArrayList<>();
        while (many.size() <= 64 + captions.size()) {
            many.addAll(captions);
        }
        for (int i = 0; i < images.size(); i++) {
            double[] got = blip.itmLogits(blip.readImage(images.get(i)), many, Blip.MatchToken.ENC);
            for (int t = 0; t < many.size(); t++) {
                assertEquals(itm[i][t % captions.size()], got[t], ITM_TOL, "image " + i + " text " + t);
            }
        }
    }

    @Test
    void rawFeaturesAreTheReferenceStates() throws Exception {
        // image mode: ViT last hidden states (vision weights are shared by every fixture model)
        List<RgbImage> imgs = new ArrayList<>();
        for (Path p : images) {
            imgs.add(blip.readImage(p));
        }
        float[][][] states = blip.imageStates(imgs);
        RawTensor vis = fx.golden("vision.last_hidden_state");
        assertArrayEquals(vis.shape(), new long[] {states.length, states[0].length, states[0][0].length});
        assertClose("imageStates vs vision.last_hidden_state", vis.toFloats(), flatten(states), 1e-4);

        // multimodal mode: [ENC] + cross-attention; the checkpoint's itm_head applied to it gives retrieval.itm_score
        Map<String, RawTensor> sd = Checkpoints.read(fx.require("blip_retrieval.pth"));
        float[] w = sd.get("itm_head.weight").toFloats(); // (2, D)
        float[] b = sd.get("itm_head.bias").toFloats();
        int d = blip.config().text().hiddenSize();
        for (int i = 0; i < images.size(); i++) {
            float[][] h = blip.multimodalStates(imgs.get(i), captions);
            assertEquals(d, h[0].length);
            for (int c = 0; c < captions.size(); c++) {
                double logit = b[1];
                for (int k = 0; k < d; k++) {
                    logit += (double) w[d + k] * h[c][k];
                }
                assertEquals(itm[i][c], logit, ITM_TOL, "itm_head(multimodalStates) image " + i + " caption " + c);
            }
        }

        // text mode: unimodal [CLS] state, checked with the ITM model whose text encoder the golden came from
        try (Blip itmModel = Blip.load(fx.require("blip_itm.pth"))) {
            float[][] t = itmModel.textStates(captions);
            RawTensor cls = fx.golden("text_encoder.text_mode.cls");
            assertArrayEquals(cls.shape(), new long[] {t.length, t[0].length});
            assertClose("textStates vs text_encoder.text_mode.cls", cls.toFloats(), flatten(t), 1e-4);
        }
    }

    static List<Integer> rows(Retriever.Result r) {
        return r.hits().stream().map(Retriever.Hit::row).toList();
    }

    static float[] flatten(float[][] m) {
        int n = 0;
        for (float[] r : m) {
            n += r.length;
        }
        float[] out = new float[n];
        int p = 0;
        for (float[] r : m) {
            System.arraycopy(r, 0, out, p, r.length);
            p += r.length;
        }
        return out;
    }

    static float[] flatten(float[][][] m) {
        List<float[]> rows = new ArrayList<>();
        for (float[][] a : m) {
            rows.addAll(List.of(a));
        }
        return flatten(rows.toArray(new float[0][]));
    }

    static void assertClose(String what, float[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length, what + ": size");
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs((double) expected[i] - actual[i]));
        }
        System.out.printf("PARITY %-58s max|diff| = %.3e (tol %.0e)%n", what, max, tol);
        assertTrue(max <= tol, what + ": max abs diff " + max);
    }
}

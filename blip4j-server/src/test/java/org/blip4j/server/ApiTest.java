package org.blip4j.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.blip4j.Blip;
import org.blip4j.generate.GenerationConfig;
import org.blip4j.image.RgbImage;
import org.blip4j.retrieval.EmbeddingIndex;
import org.blip4j.retrieval.Retriever;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every endpoint of the shared server, through JSON and multipart requests, against the library calls the CLI makes
 * for the same input (a single request is computed exactly as that call).
 */
class ApiTest {
    private static Http http;
    private static Scenes.Scene scene;
    private static RgbImage image;

    @BeforeAll
    static void start() {
        http = new Http(TestServers.shared());
        scene = Scenes.all().get(1);
        image = TestServers.image(scene);
    }

    private static ObjectNode jsonWithImage() {
        ObjectNode o = Http.object();
        o.put("image", Http.base64(scene.png()));
        return o;
    }

    private static JsonNode ok(Http.Response r) {
        assertEquals(200, r.status(), r.text());
        assertEquals("application/json", r.header("Content-Type"));
        return r.json();
    }

    @Test
    void captionDefaultsAreTheModelsOwnBeamSearch() {
        String expected = TestServers.blip("shapes/caption").caption(image);
        JsonNode form = ok(http.postForm("/v1/caption", Map.of("image", scene.png())));
        assertEquals(expected, form.get("caption").asText());
        assertEquals("shapes/caption", form.get("model").asText());
        assertNull(form.get("captions"));
        Http.Response json = http.postJson("/v1/caption", jsonWithImage());
        assertEquals(expected, ok(json).get("caption").asText());
        assertNotNull(json.header("X-Batch-Size"));
        assertTrue(json.header("Server-Timing").startsWith("queue;dur="), json.header("Server-Timing"));
    }

    @Test
    void captionGreedySamplingPrefixAndSeveralCaptions() {
        Blip cap = TestServers.blip("shapes/caption");
        var own = cap.generationDefaults(); // the model's generation_config.json: lengths and n-gram ban
        Blip.CaptionOptions greedy = Blip.CaptionOptions.defaults()
                .withGeneration(GenerationConfig.greedy(20, 5).withNoRepeatNgramSize(own.noRepeatNgramSize(0)));
        JsonNode g = ok(http.postForm(
                "/v1/caption", Map.of("image", scene.png(), "beams", "1", "max_length", "20", "min_length", "5")));
        assertEquals(
                cap.caption(List.of(image), greedy).get(0), g.get("caption").asText());

        // as `blip4j caption --sample --top-p 0.9 --seed 7` on this image alone
        Blip.CaptionOptions nucleus = Blip.CaptionOptions.defaults()
                .withGeneration(GenerationConfig.nucleus(0.9, own.maxLength(30), own.minLength(10), 7)
                        .withNoRepeatNgramSize(own.noRepeatNgramSize(0)));
        ObjectNode s = jsonWithImage();
        s.put("sample", true);
        s.put("top_p", 0.9);
        s.put("seed", 7);
        assertEquals(
                cap.caption(List.of(image), nucleus).get(0),
                ok(http.postJson("/v1/caption", s)).get("caption").asText());

        Blip.CaptionOptions prefixed = cap.captionDefaults().withPrefix("a picture of a red");
        JsonNode p = ok(http.postForm("/v1/caption", Map.of("image", scene.png(), "prefix", "a picture of a red")));
        assertEquals(
                cap.caption(List.of(image), prefixed).get(0), p.get("caption").asText());
        assertTrue(p.get("caption").asText().startsWith("a picture of a red"), p.toString());

        // the model's n-gram ban can be turned off per request: then the reference's plain beam search
        JsonNode unbanned = ok(http.postForm("/v1/caption", Map.of("image", scene.png(), "no_repeat_ngram_size", "0")));
        assertEquals(
                cap.caption(
                                List.of(image),
                                cap.captionDefaults()
                                        .withGeneration(cap.captionDefaults()
                                                .generation()
                                                .withNoRepeatNgramSize(0)))
                        .get(0),
                unbanned.get("caption").asText());

        JsonNode three = ok(http.postForm("/v1/caption", Map.of("image", scene.png(), "num_captions", "3")));
        List<String> expected =
                cap.captions(List.of(image), cap.captionDefaults(), 3).get(0);
        List<String> got = new ArrayList<>();
        three.get("captions").forEach(c -> got.add(c.asText()));
        assertEquals(expected, got);
        assertEquals(expected.get(0), three.get("caption").asText());
    }

    @Test
    void vqaGeneratesOrRanksAGivenList() {
        Blip vqa = TestServers.blip("shapes/vqa");
        JsonNode gen = ok(http.postForm("/v1/vqa", Map.of("image", scene.png(), "question", scene.question())));
        assertEquals(vqa.answer(image, scene.question()), gen.get("answer").asText());
        assertEquals("generate", gen.get("mode").asText());

        List<String> answers = Scenes.answerList();
        ObjectNode o = jsonWithImage();
        o.put("question", scene.question());
        answers.forEach(o.putArray("answers")::add);
        o.put("k", 5);
        JsonNode rank = ok(http.postJson("/v1/vqa", o));
        assertEquals(
                vqa.answerFromList(image, scene.question(), answers, 5),
                rank.get("answer").asText());
        assertEquals("rank", rank.get("mode").asText());
    }

    @Test
    void itmAndItcScoreEachText() {
        Blip ret = TestServers.blip("shapes/retrieval");
        List<String> texts = List.of(scene.caption(), Scenes.all().get(2).caption(), "a cat");
        // the embedded model is scored with [ENC] first by default, the token its ITM was trained with
        JsonNode itm = ok(http.postForm("/v1/itm", Map.of("image", scene.png(), "texts", texts)));
        assertArrayEquals(ret.itm(image, texts, Blip.MatchToken.ENC), doubles(itm.get("scores")));
        assertEquals("enc", itm.get("match_token").asText());

        ObjectNode o = jsonWithImage();
        texts.forEach(o.putArray("texts")::add);
        o.put("match_token", "cls");
        JsonNode cls = ok(http.postJson("/v1/itm", o));
        assertArrayEquals(ret.itm(image, texts, Blip.MatchToken.CLS), doubles(cls.get("scores")));
        assertEquals("cls", cls.get("match_token").asText());

        JsonNode itc = ok(http.postForm("/v1/itc", Map.of("image", scene.png(), "texts", texts)));
        assertArrayEquals(ret.itc(image, texts), doubles(itc.get("scores")));
    }

    @Test
    void embeddingsOfImagesAndTexts() {
        Blip ret = TestServers.blip("shapes/retrieval");
        RgbImage other = TestServers.image(Scenes.all().get(3));
        List<String> texts = List.of("a red circle", scene.caption());
        JsonNode e = ok(http.postForm(
                "/v1/embeddings",
                Map.of("images", List.of(scene.png(), Scenes.all().get(3).png()), "texts", texts)));
        float[][] img = ret.imageEmbeddings(List.of(image, other));
        float[][] txt = ret.textEmbeddings(texts);
        assertEquals(ret.config().embedDim(), e.get("dim").asInt());
        assertEquals(2, e.get("image_embeddings").size());
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(img[i], floats(e.get("image_embeddings").get(i)));
            assertArrayEquals(txt[i], floats(e.get("text_embeddings").get(i)));
        }
        ObjectNode textsOnly = Http.object();
        textsOnly.putArray("texts").add("a blue square");
        JsonNode t = ok(http.postJson("/v1/embeddings", textsOnly));
        assertEquals(0, t.get("image_embeddings").size());
        assertArrayEquals(
                ret.textEmbedding("a blue square"),
                floats(t.get("text_embeddings").get(0)));
    }

    @Test
    void textToImageSearchIsTheTwoStageProtocol() throws Exception {
        String query = Scenes.all().get(4).caption();
        Retriever.Result expected = searchDirectly(query, null);
        JsonNode r = ok(http.postForm("/v1/search/images", Map.of("text", query, "top_k", "5", "candidates", "8")));
        assertEquals(TestServers.IMAGES, r.get("index").asText());
        assertEquals(5, r.get("hits").size());
        for (int i = 0; i < 5; i++) {
            JsonNode h = r.get("hits").get(i);
            Retriever.Hit e = expected.hits().get(i);
            assertEquals(e.rank(), h.get("rank").asInt());
            assertEquals(e.row(), h.get("row").asInt());
            assertEquals(e.id(), h.get("id").asText());
            assertEquals(e.score(), h.get("score").asDouble());
            assertEquals(e.itm(), h.get("itm").asDouble());
            assertEquals(
                    "/v1/indexes/" + TestServers.IMAGES + "/images/" + e.row(),
                    h.get("thumbnail").asText());
        }
        ObjectNode itcOnly = Http.object();
        itcOnly.put("text", query);
        itcOnly.put("rerank", false);
        JsonNode plain = ok(http.postJson("/v1/search/images", itcOnly));
        assertTrue(plain.get("hits").get(0).get("itm").isNull());
        assertEquals(
                plain.get("hits").get(0).get("cosine").asDouble(),
                plain.get("hits").get(0).get("score").asDouble());
    }

    /** Top 5 of 8 candidates from the image index, as {@code blip4j search} ranks them (captioner: null for ITM). */
    private static Retriever.Result searchDirectly(String query, Blip captioner) throws Exception {
        try (EmbeddingIndex idx =
                EmbeddingIndex.openReadOnly(TestServers.indexes().resolve(TestServers.IMAGES))) {
            Blip ret = TestServers.blip("shapes/retrieval");
            return new Retriever(ret, id -> ret.readImage(java.nio.file.Path.of(id)), captioner)
                    .textToImage(
                            query, idx, Retriever.Options.defaults().withTopK(5).withCandidates(8));
        }
    }

    @Test
    void anIndexWithACaptionerReranksByItsLikelihood() throws Exception {
        String query = Scenes.all().get(4).caption();
        Retriever.Result expected = searchDirectly(query, TestServers.blip("shapes/caption"));
        JsonNode r = ok(http.postForm(
                "/v1/search/images",
                Map.of("text", query, "top_k", "5", "candidates", "8", "index", TestServers.CAPTIONED)));
        assertEquals(5, r.get("hits").size());
        for (int i = 0; i < 5; i++) {
            JsonNode h = r.get("hits").get(i);
            Retriever.Hit e = expected.hits().get(i);
            assertEquals(e.row(), h.get("row").asInt());
            assertEquals(e.score(), h.get("score").asDouble(), 1e-6);
            assertTrue(h.get("itm").isNull(), "no ITM score: " + h);
        }
    }

    @Test
    void imageToTextSearch() throws Exception {
        Retriever.Options opts = Retriever.Options.defaults().withTopK(3).withCandidates(6);
        Retriever.Result expected;
        try (EmbeddingIndex idx =
                EmbeddingIndex.openReadOnly(TestServers.indexes().resolve(TestServers.TEXTS))) {
            expected = new Retriever(TestServers.blip("shapes/retrieval")).imageToText(image, idx, opts);
        }
        JsonNode r = ok(http.postForm(
                "/v1/search/texts",
                Map.of("image", scene.png(), "top_k", "3", "candidates", "6", "index", TestServers.TEXTS)));
        for (int i = 0; i < 3; i++) {
            assertEquals(
                    expected.hits().get(i).id(),
                    r.get("hits").get(i).get("text").asText());
            assertEquals(
                    expected.hits().get(i).score(),
                    r.get("hits").get(i).get("score").asDouble());
        }
    }

    @Test
    void imageToTextSearchCentredOnAnImageIndex() throws Exception {
        Retriever.Options opts = Retriever.Options.defaults().withTopK(3).withCandidates(6);
        Retriever.Result plain;
        Retriever.Result expected;
        try (EmbeddingIndex texts =
                        EmbeddingIndex.openReadOnly(TestServers.indexes().resolve(TestServers.TEXTS));
                EmbeddingIndex images =
                        EmbeddingIndex.openReadOnly(TestServers.indexes().resolve(TestServers.IMAGES))) {
            Retriever r = new Retriever(TestServers.blip("shapes/retrieval"));
            plain = r.imageToText(image, texts, opts);
            expected = r.centredOn(images.meanVector()).imageToText(image, texts, opts);
        }
        JsonNode res = ok(http.postForm(
                "/v1/search/texts",
                Map.of(
                        "image",
                        scene.png(),
                        "top_k",
                        "3",
                        "candidates",
                        "6",
                        "index",
                        TestServers.TEXTS,
                        "center_on",
                        TestServers.IMAGES)));
        for (int i = 0; i < 3; i++) {
            JsonNode h = res.get("hits").get(i);
            assertEquals(expected.hits().get(i).id(), h.get("text").asText());
            assertEquals(expected.hits().get(i).score(), h.get("score").asDouble(), 1e-9);
            assertEquals(expected.hits().get(i).cosine(), h.get("cosine").asDouble(), 1e-9);
        }
        assertTrue(
                Math.abs(expected.hits().get(0).score() - plain.hits().get(0).score()) > 1e-4
                        || !expected.hits()
                                .get(0)
                                .id()
                                .equals(plain.hits().get(0).id()),
                "centring changes the scores");
    }

    @Test
    void thumbnailsOfIndexedImages() throws Exception {
        Http.Response r = http.get("/v1/indexes/" + TestServers.IMAGES + "/images/2?size=48");
        assertEquals(200, r.status());
        assertEquals("image/png", r.header("Content-Type"));
        BufferedImage png = ImageIO.read(new ByteArrayInputStream(r.body()));
        RgbImage original = TestServers.image(Scenes.all().get(2));
        assertEquals(48, Math.max(png.getWidth(), png.getHeight()));
        assertEquals((double) original.width() / original.height(), (double) png.getWidth() / png.getHeight(), 0.05);
        assertEquals(
                404,
                http.get("/v1/indexes/" + TestServers.IMAGES + "/images/"
                                + Scenes.all().size())
                        .status());
        assertEquals(
                404, http.get("/v1/indexes/" + TestServers.TEXTS + "/images/0").status());
        assertEquals(
                400,
                http.get("/v1/indexes/" + TestServers.IMAGES + "/images/0?size=5000")
                        .status());
    }

    @Test
    void listsModelsAndIndexes() {
        JsonNode m = ok(http.get("/v1/models"));
        assertTrue(m.get("ready").asBoolean());
        Map<String, List<String>> caps = new LinkedHashMap<>();
        m.get("models").forEach(x -> {
            List<String> c = new ArrayList<>();
            x.get("capabilities").forEach(y -> c.add(y.asText()));
            caps.put(x.get("name").asText(), c);
        });
        assertEquals(List.of("shapes/caption", "shapes/retrieval", "shapes/vqa"), new ArrayList<>(caps.keySet()));
        assertEquals(List.of("caption"), caps.get("shapes/caption"));
        assertTrue(caps.get("shapes/retrieval").containsAll(List.of("itm", "itc", "embeddings", "search")));
        JsonNode i = ok(http.get("/v1/indexes"));
        assertEquals(3, i.get("indexes").size());
        assertTrue(i.get("indexes").get(0).get("captioner").isNull(), "ITM re-ranks: " + i);
        assertEquals("shapes/caption", i.get("indexes").get(2).get("captioner").asText());
        assertEquals("image", i.get("indexes").get(0).get("kind").asText());
        assertEquals(Scenes.all().size(), i.get("indexes").get(0).get("size").asInt());
        assertEquals("text", i.get("indexes").get(1).get("kind").asText());
    }

    @Test
    void healthReadinessMetricsAndPage() {
        assertEquals("ok", ok(http.get("/healthz")).get("status").asText());
        assertEquals("ready", ok(http.get("/readyz")).get("status").asText());
        http.postForm("/v1/itc", Map.of("image", scene.png(), "texts", "a red circle"));
        Http.Response metrics = http.get("/metrics");
        assertEquals(200, metrics.status());
        assertTrue(metrics.header("Content-Type").startsWith("text/plain"), metrics.header("Content-Type"));
        String text = metrics.text();
        for (String name : Metrics.names()) {
            assertTrue(
                    java.util.regex.Pattern.compile("(?m)^" + name + "(_bucket|_count|_sum)?[{ ]")
                            .matcher(text)
                            .find(),
                    "missing " + name);
        }
        assertTrue(text.contains("blip4j_requests_total{endpoint=\"/v1/itc\",status=\"200\"}"), text);
        assertTrue(text.contains("blip4j_batch_size_count{model=\"shapes/retrieval\",task=\"itc\"}"), text);
        assertTrue(text.contains("blip4j_queue_depth{model=\"shapes/caption\",task=\"caption\"} 0"), text);
        assertTrue(text.contains("blip4j_memory_bytes{kind=\"rss\"}"), text);
        assertTrue(text.contains("blip4j_ready 1"), text);
        assertTrue(text.contains("blip4j_queue_rejections_total{model=\"shapes/vqa\",task=\"vqa\"} 0"), text);

        Http.Response page = http.get("/");
        assertEquals(200, page.status());
        assertTrue(page.header("Content-Type").startsWith("text/html"));
        assertEquals(WebPage.CSP, page.header("Content-Security-Policy"));
        assertTrue(page.text().contains("<script src=\"/app.js\""));
        assertEquals(200, http.get("/app.js").status());
        assertEquals(200, http.get("/style.css").status());
    }

    static double[] doubles(JsonNode a) {
        return Http.doubles(a).stream().mapToDouble(Double::doubleValue).toArray();
    }

    static float[] floats(JsonNode a) {
        float[] f = new float[a.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) a.get(i).asDouble();
        }
        return f;
    }
}

package org.blip4j.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.blip4j.Blip;
import org.blip4j.generate.GenerationConfig;
import org.blip4j.image.RgbImage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Requests computed together give the results they get alone. The shared server's lanes are held while several
 * requests queue, then released, so they are served as one batch (checked with X-Batch-Size); each result is compared
 * with what the same request gets served one at a time (the batch function on a batch of one — what {@code
 * --no-batching} runs — is the library call of a single image). Generated text must be identical; scores and
 * embeddings equal up to float rounding, because kernels sum in a batch-size-dependent order (measured max
 * difference printed).
 */
class BatchingEquivalenceTest {
    private static final double TOLERANCE = 1e-5;
    private final Http http = new Http(TestServers.shared());

    @AfterEach
    void release() {
        TestServers.shared().pauseLanes(false);
    }

    /** Sends the requests while the lanes are held, waits until all are queued, releases them, returns the answers. */
    private List<Http.Response> together(String path, Capability c, String model, List<Map<String, Object>> requests)
            throws Exception {
        BlipServer s = TestServers.shared();
        s.pauseLanes(true);
        List<CompletableFuture<Http.Response>> futures = new ArrayList<>();
        requests.forEach(r -> futures.add(http.postFormAsync(path, r)));
        Lane<?, ?> lane = s.models().get(model).lane(c);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (lane.depth() < requests.size()) {
            assertTrue(System.nanoTime() < end, "requests never queued");
            Thread.sleep(5);
        }
        s.pauseLanes(false);
        List<Http.Response> out = new ArrayList<>();
        for (var f : futures) {
            Http.Response r = f.get(120, TimeUnit.SECONDS);
            assertEquals(200, r.status(), r.text());
            out.add(r);
        }
        return out;
    }

    private static List<Scenes.Scene> scenes(int n) {
        return Scenes.all().subList(0, n);
    }

    @Test
    void captionsBeamGreedyAndSampledAreThoseOfSingleRequests() throws Exception {
        Blip cap = TestServers.blip("shapes/caption");
        List<Scenes.Scene> sc = scenes(6);
        List<Map<String, Object>> reqs = new ArrayList<>();
        for (int i = 0; i < sc.size(); i++) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("image", sc.get(i).png());
            if (i % 3 == 1) {
                r.put("beams", "1");
            } else if (i % 3 == 2) {
                r.put("sample", "true");
                r.put("seed", String.valueOf(100 + i));
            }
            reqs.add(r);
        }
        List<Http.Response> res = together("/v1/caption", Capability.CAPTION, "shapes/caption", reqs);
        for (int i = 0; i < sc.size(); i++) {
            RgbImage img = TestServers.image(sc.get(i));
            var own = cap.generationDefaults(); // the server's defaults: the model's generation_config.json
            int max = own.maxLength(30);
            int min = own.minLength(10);
            GenerationConfig g = i % 3 == 0
                    ? GenerationConfig.beam(own.numBeams(3), max, min)
                    : i % 3 == 1 ? GenerationConfig.greedy(max, min) : GenerationConfig.nucleus(0.9, max, min, 100 + i);
            g = g.withNoRepeatNgramSize(own.noRepeatNgramSize(0)); // the model's ban applies to every mode
            String alone = cap.caption(
                            List.of(img), Blip.CaptionOptions.defaults().withGeneration(g))
                    .get(0);
            assertEquals(alone, res.get(i).json().get("caption").asText(), "request " + i);
            assertEquals("2", res.get(i).header("X-Batch-Size"), "beam, greedy and sampled requests batch separately");
        }
    }

    @Test
    void sixBeamSearchesDecodeAsOneBatch() throws Exception {
        Blip cap = TestServers.blip("shapes/caption");
        List<Scenes.Scene> sc = scenes(6);
        List<Map<String, Object>> reqs = new ArrayList<>();
        sc.forEach(s -> reqs.add(Map.of("image", s.png(), "num_captions", "2")));
        List<Http.Response> res = together("/v1/caption", Capability.CAPTION, "shapes/caption", reqs);
        for (int i = 0; i < sc.size(); i++) {
            List<String> alone = cap.captions(List.of(TestServers.image(sc.get(i))), cap.captionDefaults(), 2)
                    .get(0);
            JsonNode got = res.get(i).json().get("captions");
            assertEquals(alone, List.of(got.get(0).asText(), got.get(1).asText()), "request " + i);
            assertEquals("6", res.get(i).header("X-Batch-Size"));
        }
    }

    @Test
    void vqaAnswersBatchByQuestionLength() throws Exception {
        Blip vqa = TestServers.blip("shapes/vqa");
        List<Scenes.Scene> sc = scenes(8);
        List<Map<String, Object>> reqs = new ArrayList<>();
        Map<Object, Integer> perLength = new LinkedHashMap<>();
        for (Scenes.Scene s : sc) {
            reqs.add(Map.of("image", s.png(), "question", s.question()));
            perLength.merge(Work.vqaKey(vqa, s.question()), 1, Integer::sum);
        }
        List<Http.Response> res = together("/v1/vqa", Capability.VQA, "shapes/vqa", reqs);
        for (int i = 0; i < sc.size(); i++) {
            assertEquals(
                    vqa.answer(TestServers.image(sc.get(i)), sc.get(i).question()),
                    res.get(i).json().get("answer").asText(),
                    "request " + i);
            assertEquals(
                    String.valueOf(perLength.get(Work.vqaKey(vqa, sc.get(i).question()))),
                    res.get(i).header("X-Batch-Size"));
        }
    }

    @Test
    void matchingScoresAndEmbeddingsEqualSingleRequests() throws Exception {
        Blip ret = TestServers.blip("shapes/retrieval");
        List<Scenes.Scene> sc = scenes(6);
        List<Map<String, Object>> reqs = new ArrayList<>();
        List<List<String>> texts = new ArrayList<>();
        for (int i = 0; i < sc.size(); i++) {
            List<String> t = new ArrayList<>();
            for (int j = 0; j <= i % 3; j++) {
                t.add(Scenes.all().get((i + j) % Scenes.all().size()).caption());
            }
            texts.add(t);
            reqs.add(Map.of("image", sc.get(i).png(), "texts", t));
        }
        double maxDiff = 0;
        List<Http.Response> itm = together("/v1/itm", Capability.ITM, "shapes/retrieval", reqs);
        List<Http.Response> itc = together("/v1/itc", Capability.ITC, "shapes/retrieval", reqs);
        for (int i = 0; i < sc.size(); i++) {
            RgbImage img = TestServers.image(sc.get(i));
            assertEquals("6", itm.get(i).header("X-Batch-Size"));
            assertEquals("6", itc.get(i).header("X-Batch-Size"));
            double[] p = ApiTest.doubles(itm.get(i).json().get("scores"));
            double[] cos = ApiTest.doubles(itc.get(i).json().get("scores"));
            assertArrayEquals(ret.itm(img, texts.get(i), Blip.MatchToken.ENC), p, TOLERANCE);
            assertArrayEquals(ret.itc(img, texts.get(i)), cos, TOLERANCE);
            maxDiff = Math.max(maxDiff, maxAbsDiff(ret.itm(img, texts.get(i), Blip.MatchToken.ENC), p));
            maxDiff = Math.max(maxDiff, maxAbsDiff(ret.itc(img, texts.get(i)), cos));
        }
        List<Map<String, Object>> embed = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            embed.add(Map.of(
                    "images", List.of(sc.get(2 * i).png(), sc.get(2 * i + 1).png()), "texts", texts.get(i)));
        }
        List<Http.Response> emb = together("/v1/embeddings", Capability.EMBEDDINGS, "shapes/retrieval", embed);
        for (int i = 0; i < 3; i++) {
            assertEquals("3", emb.get(i).header("X-Batch-Size"));
            float[][] alone = ret.imageEmbeddings(
                    List.of(TestServers.image(sc.get(2 * i)), TestServers.image(sc.get(2 * i + 1))));
            for (int k = 0; k < 2; k++) {
                float[] got =
                        ApiTest.floats(emb.get(i).json().get("image_embeddings").get(k));
                assertArrayEquals(alone[k], got, (float) TOLERANCE);
                for (int j = 0; j < got.length; j++) {
                    maxDiff = Math.max(maxDiff, Math.abs(alone[k][j] - got[j]));
                }
            }
            float[][] txt = ret.textEmbeddings(texts.get(i));
            assertArrayEquals(
                    txt[0],
                    ApiTest.floats(emb.get(i).json().get("text_embeddings").get(0)));
        }
        System.out.printf("batched vs one at a time: max |difference| of ITM, ITC and embeddings = %.2e%n", maxDiff);
    }

    private static double maxAbsDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}

package org.blip4j.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.blip4j.Blip;
import org.blip4j.generate.GenerationConfig;
import org.blip4j.image.RgbImage;
import org.junit.jupiter.api.Test;

/**
 * A short load run on loopback: 16 clients × 50 mixed requests (captions, VQA, ITM, ITC, embeddings) against the
 * shared server. No 5xx, every answer equal to the single-request library result, and batches actually formed. The
 * long run (64 clients × 2,000 requests) is {@code bin/blip4j-loadrun}, not a test.
 */
class LoadTest {
    static final int CLIENTS = 16;
    static final int REQUESTS = Integer.getInteger("load.requests", 50);

    @Test
    void sixteenClientsFiftyRequestsEach() throws Exception {
        BlipServer s = TestServers.shared();
        Http http = new Http(s);
        List<Scenes.Scene> scenes = Scenes.all();
        Blip cap = TestServers.blip("shapes/caption");
        Blip vqa = TestServers.blip("shapes/vqa");
        Blip ret = TestServers.blip("shapes/retrieval");
        List<String> captions = new ArrayList<>();
        List<String> answers = new ArrayList<>();
        List<double[]> itm = new ArrayList<>();
        List<double[]> itc = new ArrayList<>();
        List<float[]> emb = new ArrayList<>();
        Blip.CaptionOptions greedy = Blip.CaptionOptions.defaults()
                .withGeneration(GenerationConfig.greedy(16, 5)
                        .withNoRepeatNgramSize(cap.generationDefaults().noRepeatNgramSize(0))); // the model's ban
        for (Scenes.Scene sc : scenes) {
            RgbImage img = TestServers.image(sc);
            captions.add(cap.caption(List.of(img), greedy).get(0));
            answers.add(vqa.answer(img, sc.question()));
            itm.add(ret.itm(img, List.of(sc.caption(), "a cat"), Blip.MatchToken.ENC));
            itc.add(ret.itc(img, List.of(sc.caption(), "a cat")));
            emb.add(ret.imageEmbedding(img));
        }
        AtomicInteger served = new AtomicInteger();
        AtomicInteger batched = new AtomicInteger();
        Map<String, String> failures = new ConcurrentHashMap<>();
        CountDownLatch done = new CountDownLatch(CLIENTS);
        long t0 = System.nanoTime();
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            Http.CLIENTS.execute(() -> {
                try {
                    for (int k = 0; k < REQUESTS; k++) {
                        int i = (client * 7 + k) % scenes.size();
                        Scenes.Scene sc = scenes.get(i);
                        String where = "client " + client + " request " + k;
                        try {
                            Http.Response r;
                            JsonNode j;
                            switch (k % 10) {
                                case 0 -> {
                                    r = http.postForm(
                                            "/v1/caption",
                                            Map.of(
                                                    "image",
                                                    sc.png(),
                                                    "beams",
                                                    "1",
                                                    "max_length",
                                                    "16",
                                                    "min_length",
                                                    "5"));
                                    j = check(r);
                                    assertEquals(
                                            captions.get(i), j.get("caption").asText(), where);
                                }
                                case 1, 2 -> {
                                    r = http.postForm("/v1/vqa", Map.of("image", sc.png(), "question", sc.question()));
                                    assertEquals(
                                            answers.get(i),
                                            check(r).get("answer").asText(),
                                            where);
                                }
                                case 3, 4, 5 -> {
                                    r = http.postForm(
                                            "/v1/itc",
                                            Map.of("image", sc.png(), "texts", List.of(sc.caption(), "a cat")));
                                    assertArrayEquals(itc.get(i), ApiTest.doubles(check(r).get("scores")), 1e-5, where);
                                }
                                case 6, 7 -> {
                                    r = http.postForm(
                                            "/v1/itm",
                                            Map.of("image", sc.png(), "texts", List.of(sc.caption(), "a cat")));
                                    assertArrayEquals(itm.get(i), ApiTest.doubles(check(r).get("scores")), 1e-5, where);
                                }
                                default -> {
                                    r = http.postForm("/v1/embeddings", Map.of("images", sc.png()));
                                    assertArrayEquals(
                                            emb.get(i),
                                            ApiTest.floats(check(r).get("image_embeddings")
                                                    .get(0)),
                                            1e-5f,
                                            where);
                                }
                            }
                            served.incrementAndGet();
                            if (Integer.parseInt(r.header("X-Batch-Size")) > 1) {
                                batched.incrementAndGet();
                            }
                        } catch (AssertionError | RuntimeException e) {
                            failures.putIfAbsent(where, String.valueOf(e.getMessage()));
                        }
                    }
                } finally {
                    done.countDown();
                }
            });
        }
        assertTrue(done.await(10, TimeUnit.MINUTES), "the load run did not finish");
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
                "load: %d clients x %d requests: %d served in %.1f s (%.1f req/s), %d in batches of 2+%n",
                CLIENTS, REQUESTS, served.get(), secs, served.get() / secs, batched.get());
        assertTrue(
                failures.isEmpty(),
                () -> failures.size() + " failures, e.g. "
                        + failures.entrySet().iterator().next());
        assertEquals(CLIENTS * REQUESTS, served.get());
        if (Boolean.getBoolean("load.metrics")) {
            http.get("/metrics")
                    .text()
                    .lines()
                    .filter(l -> l.contains("_sum") || l.contains("_count"))
                    .filter(l -> l.startsWith("blip4j_batch"))
                    .forEach(System.out::println);
        }
        assertTrue(batched.get() > 0, "no request was batched with another under 16 concurrent clients");
    }

    private static JsonNode check(Http.Response r) {
        assertEquals(200, r.status(), r.text());
        return r.json();
    }
}

package org.blip4j.server;

import static org.blip4j.server.ApiErrorsTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Queue bound (503 + Retry-After), deadline (504) and graceful shutdown, made deterministic by pausing the lanes. */
class BackpressureTest {
    private static final byte[] IMAGE = TestImages.png(64, 64, Color.BLUE);

    private static BlipServer start(int queue, Duration deadline) throws Exception {
        return BlipServer.start(ServerConfig.defaults()
                .withPort(0)
                .withModels(List.of(new ServerConfig.ModelSpec("retrieval", "shapes/retrieval")))
                .withBatching(ServerConfig.Batching.defaults()
                        .withMaxBatch(1)
                        .withQueueCapacity(queue)
                        .withDeadline(deadline)));
    }

    private static CompletableFuture<Http.Response> itcAsync(Http http, String text) {
        return http.postFormAsync("/v1/itc", Map.of("image", IMAGE, "texts", text));
    }

    private static void awaitDepth(BlipServer s, Capability c, int depth) throws InterruptedException {
        Lane<?, ?> lane = s.models().get("retrieval").lane(c);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (lane.depth() < depth) {
            assertTrue(System.nanoTime() < end, "queue never reached " + depth);
            Thread.sleep(5);
        }
    }

    @Test
    void queueFullDeadlineAndGracefulShutdown() throws Exception {
        BlipServer s = start(2, Duration.ofMillis(1500));
        Http http = new Http(s);
        try {
            // queue full: two requests wait, the third is refused at once
            s.pauseLanes(true);
            var first = itcAsync(http, "one");
            var second = itcAsync(http, "two");
            awaitDepth(s, Capability.ITC, 2);
            Http.Response full = http.postForm("/v1/itc", Map.of("image", IMAGE, "texts", "three"));
            assertError(full, 503, "unavailable", "queue is full");
            int retry = Integer.parseInt(full.header("Retry-After"));
            assertTrue(retry >= 1 && retry <= 60, "Retry-After " + retry);
            // the queued ones pass their 1.5 s deadline while the lane is held
            assertError(first.get(30, TimeUnit.SECONDS), 504, "deadline_exceeded", "deadline");
            assertError(second.get(30, TimeUnit.SECONDS), 504, "deadline_exceeded", "deadline");
            assertEquals(
                    0, s.models().get("retrieval").lane(Capability.ITC).depth(), "timed-out requests left the queue");
            s.pauseLanes(false);
            assertEquals(
                    200,
                    http.postForm("/v1/itc", Map.of("image", IMAGE, "texts", "four"))
                            .status());
            String metrics = http.get("/metrics").text();
            assertTrue(metrics.contains("blip4j_queue_rejections_total{model=\"retrieval\",task=\"itc\"} 1"), metrics);
            assertTrue(metrics.contains("blip4j_requests_total{endpoint=\"/v1/itc\",status=\"504\"} 2"), metrics);
        } finally {
            s.pauseLanes(false);
            s.close();
        }
    }

    @Test
    void shutdownAnswersAcceptedRequestsAndRefusesNewOnes() throws Exception {
        BlipServer s = start(8, Duration.ofSeconds(60));
        Http http = new Http(s);
        s.pauseLanes(true);
        List<CompletableFuture<Http.Response>> accepted = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            accepted.add(itcAsync(http, "text " + i));
        }
        awaitDepth(s, Capability.ITC, 3);
        Thread closer = new Thread(s::close);
        closer.start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (http.get("/readyz").status() != 503) {
            assertTrue(System.nanoTime() < end, "readyz never said 503");
            Thread.sleep(5);
        }
        assertEquals("shutting down", http.get("/readyz").json().get("status").asText());
        assertError(
                http.postForm("/v1/itc", Map.of("image", IMAGE, "texts", "late")), 503, "unavailable", "shutting down");
        s.pauseLanes(false);
        for (var f : accepted) {
            Http.Response r = f.get(30, TimeUnit.SECONDS);
            assertEquals(200, r.status(), r.text());
            assertEquals(1, r.json().get("scores").size());
        }
        closer.join(30_000);
        assertTrue(!closer.isAlive() && !s.isReady());
    }
}

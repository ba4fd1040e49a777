package org.blip4j.server;

import static org.blip4j.server.ApiErrorsTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.Color;
import java.net.http.HttpRequest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A server with a bearer token, one CORS origin and small limits: auth, CORS and size limits. */
class StrictServerTest {
    private static final String TOKEN = "s3cret-Token_1";
    private static final String ORIGIN = "https://app.example.org";
    private static BlipServer server;
    private static Http anonymous;
    private static Http authorized;
    private static byte[] small;

    @BeforeAll
    static void start() throws Exception {
        ServerConfig cfg = ServerConfig.defaults()
                .withPort(0)
                .withModels(List.of(new ServerConfig.ModelSpec("retrieval", "shapes/retrieval")))
                .withToken(TOKEN)
                .withCorsOrigins(List.of(ORIGIN))
                .withLimits(new ServerConfig.Limits(64 << 10, 4_000, 4, 100, 2));
        server = BlipServer.start(cfg);
        anonymous = new Http(server);
        authorized = anonymous.withToken(TOKEN);
        small = TestImages.png(48, 40, Color.RED); // 1,920 pixels: under the limit
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void everyApiCallAndMetricsNeedTheToken() {
        Http.Response missing = anonymous.postForm("/v1/itc", Map.of("image", small, "texts", "a red square"));
        assertError(missing, 401, "unauthorized", "requires a bearer token");
        assertEquals("Bearer realm=\"blip4j\"", missing.header("WWW-Authenticate"));
        assertError(anonymous.get("/v1/models"), 401, "unauthorized", "bearer token");
        assertError(anonymous.get("/v1/openapi.json"), 401, "unauthorized", "bearer token");
        assertError(anonymous.get("/metrics"), 401, "unauthorized", "bearer token");
        assertError(anonymous.withToken("s3cret-Token_2").get("/v1/models"), 401, "unauthorized", "wrong");
        assertError(anonymous.withToken(TOKEN + "x").get("/v1/models"), 401, "unauthorized", "wrong");
        assertEquals(
                200,
                authorized
                        .postForm("/v1/itc", Map.of("image", small, "texts", "a red square"))
                        .status());
        assertEquals(200, authorized.get("/metrics").status());
        // liveness, readiness and the page stay open (the page asks for the token)
        assertEquals(200, anonymous.get("/healthz").status());
        assertEquals(200, anonymous.get("/readyz").status());
        assertEquals(200, anonymous.get("/").status());
    }

    @Test
    void corsOnlyForTheConfiguredOrigin() {
        HttpRequest preflight = HttpRequest.newBuilder(server.uri().resolve("/v1/itc"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", ORIGIN)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization")
                .build();
        Http.Response ok = anonymous.send(preflight);
        assertEquals(
                ORIGIN,
                ok.header("Access-Control-Allow-Origin"),
                ok.headers().map().toString());
        HttpRequest other = HttpRequest.newBuilder(server.uri().resolve("/v1/models"))
                .header("Origin", "https://evil.example.com")
                .header("Authorization", "Bearer " + TOKEN)
                .GET()
                .build();
        assertNull(anonymous.send(other).header("Access-Control-Allow-Origin"));
        HttpRequest same = HttpRequest.newBuilder(server.uri().resolve("/v1/models"))
                .header("Origin", ORIGIN)
                .header("Authorization", "Bearer " + TOKEN)
                .GET()
                .build();
        assertEquals(ORIGIN, anonymous.send(same).header("Access-Control-Allow-Origin"));
    }

    @Test
    void corsIsOffByDefault() {
        HttpRequest r = HttpRequest.newBuilder(TestServers.shared().uri().resolve("/v1/models"))
                .header("Origin", ORIGIN)
                .GET()
                .build();
        Http.Response res = new Http(TestServers.shared()).send(r);
        assertEquals(200, res.status());
        assertNull(res.header("Access-Control-Allow-Origin"));
    }

    @Test
    void sizeAndCountLimits() {
        byte[] big = new byte[70 << 10];
        assertError(
                authorized.postForm("/v1/itc", Map.of("image", big, "texts", "x")), 413, "too_large", "65536 bytes");
        ObjectNode o = Http.object();
        o.put("image", Http.base64(big));
        o.putArray("texts").add("x");
        assertError(authorized.postJson("/v1/itc", o), 413, "too_large", "65536 bytes");
        byte[] chunked = ("{\"texts\": [\"x\"], \"image\": \"" + Http.base64(big) + "\"}")
                .getBytes(
                        java.nio.charset.StandardCharsets
                                .UTF_8); // no Content-Length: the server stops reading at the limit
        Http.Response c = authorized.send(HttpRequest.newBuilder(server.uri().resolve("/v1/itc"))
                .header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(chunked)))
                .build());
        assertError(c, 413, "too_large", "65536 bytes");
        byte[] scene = Scenes.all().get(0).png(); // over 4,000 pixels
        assertError(
                authorized.postForm("/v1/itc", Map.of("image", scene, "texts", "x")),
                400,
                "bad_image",
                "exceeds the limit of 4000");
        assertError(
                authorized.postForm("/v1/itc", Map.of("image", small, "texts", List.of("a", "b", "c", "d", "e"))),
                400,
                "bad_parameter",
                "at most 4");
        assertError(
                authorized.postForm("/v1/itc", Map.of("image", small, "texts", "x".repeat(101))),
                400,
                "bad_parameter",
                "longer than 100");
        assertError(
                authorized.postForm("/v1/embeddings", Map.of("images", List.of(small, small, small))),
                400,
                "bad_parameter",
                "at most 2 images");
        assertError(
                authorized.postForm("/v1/caption", Map.of("image", small)),
                400,
                "no_model",
                "no served model can " + "do caption");
    }
}

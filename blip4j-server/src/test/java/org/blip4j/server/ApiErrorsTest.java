package org.blip4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every error path of the shared server answers with its status and one JSON line naming the problem. */
class ApiErrorsTest {
    private static Http http;
    private static byte[] png;

    @BeforeAll
    static void start() {
        http = new Http(TestServers.shared());
        png = Scenes.all().get(0).png();
    }

    /** Asserts status, code, a message mentioning {@code mentions}, and no stack trace. */
    static JsonNode assertError(Http.Response r, int status, String code, String mentions) {
        assertEquals(status, r.status(), r.text());
        assertEquals("application/json", r.header("Content-Type"), r.text());
        JsonNode e = r.json();
        assertEquals(code, e.get("code").asText(), r.text());
        assertEquals(status, e.get("status").asInt());
        String msg = e.get("error").asText();
        assertTrue(msg.contains(mentions), "'" + msg + "' should mention '" + mentions + "'");
        assertFalse(r.text().contains("\tat ") || r.text().contains("Exception"), "stack trace leaked: " + r.text());
        return e;
    }

    @Test
    void corruptTruncatedAndNonImages() {
        assertError(
                http.postForm("/v1/caption", Map.of("image", "this is not an image".getBytes(StandardCharsets.UTF_8))),
                400,
                "bad_image",
                "image ('upload.png')");
        assertError(
                http.postForm("/v1/caption", Map.of("image", Arrays.copyOf(png, png.length / 2))),
                400,
                "bad_image",
                "image");
        ObjectNode o = Http.object();
        o.put("image", Http.base64("GIF89a but broken".getBytes(StandardCharsets.UTF_8)));
        assertError(http.postJson("/v1/caption", o), 400, "bad_image", "image");
        o.put("image", "not base64 at all!!");
        assertError(http.postJson("/v1/caption", o), 400, "bad_image", "base64");
        o.put("image", "data:image/png,rawbytes");
        assertError(http.postJson("/v1/caption", o), 400, "bad_image", "data URL");
        o.put("image", 42);
        assertError(http.postJson("/v1/caption", o), 400, "bad_image", "base64 string");
        assertError(http.postForm("/v1/caption", Map.of("image", "text")), 400, "bad_image", "file part");
        assertError(
                http.postForm("/v1/embeddings", Map.of("images", List.of(png, "x".getBytes(StandardCharsets.UTF_8)))),
                400,
                "bad_image",
                "images");
    }

    @Test
    void decompressionBombsAreRefusedFromTheHeader() {
        // a PNG header claiming 20,000 x 20,000 pixels (over the 40 MP default), never decoded
        assertError(
                http.postForm("/v1/itc", Map.of("image", TestImages.pngHeader(20_000, 20_000), "texts", "x")),
                400,
                "bad_image",
                "pixels exceeds the limit of 40000000");
    }

    @Test
    void unknownAndUnsuitableModels() {
        assertError(
                http.postForm("/v1/caption", Map.of("image", png, "model", "blip-large")),
                400,
                "unknown_model",
                "unknown model 'blip-large'; served: shapes/caption (caption)");
        assertError(
                http.postForm("/v1/caption", Map.of("image", png, "model", "shapes/retrieval")),
                400,
                "wrong_model",
                "cannot do caption");
        assertError(
                http.postForm("/v1/itm", Map.of("image", png, "texts", "x", "model", "shapes/vqa")),
                400,
                "wrong_model",
                "cannot do itm");
    }

    @Test
    void badParameters() {
        assertError(http.postForm("/v1/caption", Map.of("image", png, "beam", "3")), 400, "unknown_field", "beam");
        assertError(
                http.postForm("/v1/caption", Map.of("image", png, "beams", "three")), 400, "bad_parameter", "beams");
        assertError(http.postForm("/v1/caption", Map.of("image", png, "beams", "0")), 400, "bad_parameter", "[1, 10]");
        assertError(
                http.postForm("/v1/caption", Map.of("image", png, "min_length", "40", "max_length", "20")),
                400,
                "bad_parameter",
                "minLength");
        assertError(
                http.postForm("/v1/caption", Map.of("image", png, "sample", "true", "beams", "3")),
                400,
                "bad_parameter",
                "beams");
        assertError(
                http.postForm("/v1/caption", Map.of("image", png, "top_p", "0.9")),
                400,
                "bad_parameter",
                "only with \"sample\"");
        assertError(
                http.postForm("/v1/caption", Map.of("image", png, "num_captions", "4")),
                400,
                "bad_parameter",
                "numReturnSequences");
        assertError(
                http.postForm("/v1/caption", Map.of("image", png, "sample", "maybe")), 400, "bad_parameter", "sample");
        assertError(
                http.postForm("/v1/caption", Map.of("image", png, "no_repeat_ngram_size", "-1")),
                400,
                "bad_parameter",
                "no_repeat_ngram_size");
        ObjectNode o = Http.object();
        o.put("image", Http.base64(png));
        o.put("beams", 2.5);
        assertError(http.postJson("/v1/caption", o), 400, "bad_parameter", "beams: must be an integer");
        assertError(
                http.postForm("/v1/itm", Map.of("image", png, "texts", "x", "match_token", "sep")),
                400,
                "bad_parameter",
                "match_token");
        assertError(
                http.postForm("/v1/vqa", Map.of("image", png, "question", "what?", "answers", "red", "k", "3")),
                400,
                "bad_parameter",
                "k");
        assertError(
                http.postForm("/v1/itm", Map.of("image", png, "texts", List.of("a", " "))),
                400,
                "bad_parameter",
                "texts[1]: empty");
        assertError(
                http.postForm("/v1/caption", Map.of("image", png, "prefix", "x".repeat(1001))),
                400,
                "bad_parameter",
                "longer than 1000");
    }

    @Test
    void missingInputs() {
        assertError(http.postForm("/v1/caption", Map.of("beams", "1")), 400, "missing_parameter", "image: required");
        assertError(http.postForm("/v1/vqa", Map.of("image", png)), 400, "missing_parameter", "question: required");
        assertError(http.postForm("/v1/itm", Map.of("image", png)), 400, "missing_parameter", "texts");
        assertError(http.postJson("/v1/embeddings", Http.object()), 400, "missing_parameter", "images and/or texts");
        assertError(http.postJson("/v1/search/images", Http.object()), 400, "missing_parameter", "text: required");
    }

    @Test
    void unknownIndexes() {
        assertError(
                http.postForm("/v1/search/images", Map.of("text", "x", "index", "nope")), 400, "unknown_index", "nope");
        assertError(
                http.postForm("/v1/search/images", Map.of("text", "x", "index", TestServers.TEXTS)),
                400,
                "wrong_index",
                "holds texts");
        assertError(
                http.postForm("/v1/search/texts", Map.of("image", png, "index", TestServers.IMAGES)),
                400,
                "wrong_index",
                "holds images");
        assertError(
                http.postForm("/v1/search/texts", Map.of("image", png, "center_on", "nope")),
                400,
                "unknown_index",
                "nope");
        assertError(
                http.postForm("/v1/search/texts", Map.of("image", png, "center_on", TestServers.TEXTS)),
                400,
                "wrong_index",
                "holds texts");
    }

    @Test
    void badBodiesAndRoutes() {
        assertError(
                http.postJson("/v1/caption", "{\"image\": ".getBytes(StandardCharsets.UTF_8)),
                400,
                "bad_json",
                "not valid JSON");
        assertError(
                http.postJson("/v1/caption", "[1, 2]".getBytes(StandardCharsets.UTF_8)),
                400,
                "bad_json",
                "JSON object");
        Http.Response text =
                http.send(HttpRequest.newBuilder(TestServers.shared().uri().resolve("/v1/caption"))
                        .header("Content-Type", "text/plain")
                        .POST(HttpRequest.BodyPublishers.ofString("hello"))
                        .build());
        assertError(text, 415, "unsupported_media_type", "multipart/form-data");
        assertError(http.get("/v1/nothing"), 404, "not_found", "/v1/nothing");
        assertError(http.get("/v1/caption"), 405, "method_not_allowed", "GET");
    }
}

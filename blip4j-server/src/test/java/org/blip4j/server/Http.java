package org.blip4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/** A small HTTP client for the tests: JSON and multipart requests against a server on loopback. */
final class Http {
    static final ObjectMapper JSON = new ObjectMapper();
    /** Per-request timeout ({@code -Dblip4j.http.timeout.s}, default 120 s; the base-size benchmark needs more). */
    static final Duration TIMEOUT = Duration.ofSeconds(Long.getLong("blip4j.http.timeout.s", 120));

    private static final HttpClient CLIENT =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** A response: status, headers and body (parsed as JSON when it is JSON). */
    record Response(int status, java.net.http.HttpHeaders headers, byte[] body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + text(), e);
            }
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        String header(String name) {
            return headers.firstValue(name).orElse(null);
        }
    }

    /** Threads for concurrent test requests (daemon, unbounded: requests block on the server, not on this pool). */
    static final java.util.concurrent.ExecutorService CLIENTS =
            java.util.concurrent.Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "test-client");
                t.setDaemon(true);
                return t;
            });

    private final URI base;
    private final String token;

    Http(URI base, String token) {
        this.base = base;
        this.token = token;
    }

    Http(BlipServer s) {
        this(s.uri(), null);
    }

    Http withToken(String t) {
        return new Http(base, t);
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(TIMEOUT);
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    Response get(String path) {
        return send(request(path).GET().build());
    }

    Response send(HttpRequest r) {
        try {
            HttpResponse<byte[]> res = CLIENT.send(r, HttpResponse.BodyHandlers.ofByteArray());
            return new Response(res.statusCode(), res.headers(), res.body());
        } catch (IOException e) {
            throw new AssertionError(r.method() + " " + r.uri() + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    Response postJson(String path, Object body) {
        try {
            byte[] b = body instanceof byte[] bytes ? bytes : JSON.writeValueAsBytes(body);
            return send(request(path)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(b))
                    .build());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Posts a multipart form; values are Strings, byte[] (an image file part) or lists of those (repeated fields). */
    Response postForm(String path, Map<String, ?> fields) {
        String boundary = "----blip4jtest" + System.nanoTime();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        fields.forEach((name, value) -> {
            List<?> values = value instanceof List<?> l ? l : List.of(value);
            for (Object v : values) {
                StringBuilder h = new StringBuilder("--" + boundary + "\r\n");
                if (v instanceof byte[] bytes) {
                    h.append("Content-Disposition: form-data; name=\"")
                            .append(name)
                            .append("\"; filename=\"upload.png\"\r\n")
                            .append("Content-Type: application/octet-stream\r\n\r\n");
                    out.writeBytes(h.toString().getBytes(StandardCharsets.UTF_8));
                    out.writeBytes(bytes);
                } else {
                    h.append("Content-Disposition: form-data; name=\"")
                            .append(name)
                            .append("\"\r\n\r\n")
                            .append(v);
                    out.writeBytes(h.toString().getBytes(StandardCharsets.UTF_8));
                }
                out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
            }
        });
        out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return send(request(path)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(out.toByteArray()))
                .build());
    }

    /** {@link #postForm} on a client thread of its own. */
    java.util.concurrent.CompletableFuture<Response> postFormAsync(String path, Map<String, ?> fields) {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> postForm(path, fields), CLIENTS);
    }

    static String base64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    static ObjectNode object() {
        return JSON.createObjectNode();
    }

    static List<Double> doubles(JsonNode arr) {
        List<Double> out = new ArrayList<>();
        arr.forEach(n -> out.add(n.asDouble()));
        return out;
    }
}

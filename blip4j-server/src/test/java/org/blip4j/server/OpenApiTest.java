package org.blip4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The OpenAPI document the server serves describes exactly its routes, each with its error responses. */
class OpenApiTest {
    @Test
    void documentsEveryRouteAndNothingElse() {
        Http.Response r = new Http(TestServers.shared()).get("/v1/openapi.json");
        assertEquals(200, r.status());
        JsonNode doc = r.json();
        assertEquals("3.1.0", doc.get("openapi").asText());
        Set<String> documented = new TreeSet<>();
        doc.get("paths")
                .fields()
                .forEachRemaining(p -> p.getValue()
                        .fieldNames()
                        .forEachRemaining(m -> documented.add(m.toUpperCase(Locale.ROOT) + " " + p.getKey())));
        Set<String> served =
                new TreeSet<>(new Endpoints(TestServers.shared()).routes().keySet());
        served.addAll(Set.of("GET /healthz", "GET /readyz", "GET /metrics"));
        assertEquals(served, documented);
        doc.get("paths").fields().forEachRemaining(p -> {
            JsonNode post = p.getValue().get("post");
            if (post != null) {
                for (String status : new String[] {"200", "400", "401", "413", "503", "504"}) {
                    assertTrue(post.get("responses").has(status), p.getKey() + " documents no " + status);
                }
                assertTrue(post.get("requestBody").get("content").has("multipart/form-data"), p.getKey());
                assertTrue(post.get("requestBody").get("content").has("application/json"), p.getKey());
            }
        });
    }

    @Test
    void requestFieldsAreThoseTheEndpointsAccept() {
        // an endpoint refuses unknown fields and names the ones it takes: they must be the documented ones
        Http http = new Http(TestServers.shared());
        JsonNode doc = http.get("/v1/openapi.json").json();
        doc.get("paths").fields().forEachRemaining(p -> {
            JsonNode post = p.getValue().get("post");
            if (post == null) {
                return;
            }
            Set<String> fields = new TreeSet<>();
            post.get("requestBody")
                    .get("content")
                    .get("application/json")
                    .get("schema")
                    .get("properties")
                    .fieldNames()
                    .forEachRemaining(fields::add);
            var o = Http.object();
            o.put("no_such_field", 1);
            String msg = http.postJson(p.getKey(), o).json().get("error").asText();
            assertEquals(
                    "unknown field no_such_field; this endpoint takes " + String.join(", ", fields), msg, p.getKey());
        });
    }
}

package org.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.blip4j.server.BlipServer;
import org.blip4j.server.ServeCommand;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code blip4j serve} answers what {@code blip4j caption / vqa / itm --model shapes} print for the same images. */
class CliServeTest {
    static final CliFixture FX = CliFixture.get();
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void serveAnswersWhatTheCommandsPrint() throws Exception {
        List<Path> images = FX.images();
        List<String> args = new java.util.ArrayList<>(List.of("caption", "--model", "shapes", "--json"));
        images.forEach(p -> args.add(p.toString()));
        List<String> captions = CliFixture.run(args).expect(0).outLines();
        String question = "what color is the circle?";
        String answer = CliFixture.json(CliFixture.run(
                                "vqa", "-m", "shapes", "--json", images.get(0).toString(), "-q", question)
                        .expect(0)
                        .outLines()
                        .get(0))
                .get("answer")
                .asText();
        JsonNode itm = CliFixture.json(
                CliFixture.run("itm", "-m", "shapes", "--json", images.get(0).toString(), "-t", "a red circle")
                        .expect(0)
                        .outLines()
                        .get(0));

        CommandLine cli = new CommandLine(new Main(false));
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(new StringWriter(), true));
        ServeCommand serve = (ServeCommand) cli.getSubcommands().get("serve").getCommand();
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        Thread t = new Thread(() -> exit.complete(cli.execute("serve", "--port", "0")));
        t.setDaemon(true);
        t.start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (serve.server() == null) {
            assertTrue(System.nanoTime() < end && !exit.isDone(), "serve did not start: " + out);
            Thread.sleep(20);
        }
        BlipServer server = serve.server();
        try {
            assertTrue(out.toString().startsWith("blip4j serve: http://127.0.0.1:"), out.toString());
            for (int i = 0; i < images.size(); i++) {
                JsonNode r = post(server, "/v1/caption", images.get(i), List.of());
                assertEquals(
                        CliFixture.json(captions.get(i)).get("caption").asText(),
                        r.get("caption").asText(),
                        images.get(i).toString());
            }
            assertEquals(
                    answer,
                    post(server, "/v1/vqa", images.get(0), List.of("question", question))
                            .get("answer")
                            .asText());
            JsonNode p = post(server, "/v1/itm", images.get(0), List.of("texts", "a red circle"));
            assertEquals(itm.get("itm").asDouble(), p.get("scores").get(0).asDouble());
            JsonNode c = post(server, "/v1/itc", images.get(0), List.of("texts", "a red circle"));
            assertEquals(itm.get("itc").asDouble(), c.get("scores").get(0).asDouble());
        } finally {
            server.close();
        }
        assertEquals(0, exit.get(60, TimeUnit.SECONDS));
    }

    /** Posts the image and name/value pairs as a multipart form and returns the 200 answer. */
    private static JsonNode post(BlipServer s, String path, Path image, List<String> fields) throws Exception {
        String b = "----clitest";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + b + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\""
                        + image.getFileName() + "\"\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        body.writeBytes(Files.readAllBytes(image));
        for (int i = 0; i < fields.size(); i += 2) {
            body.writeBytes(("\r\n--" + b + "\r\nContent-Disposition: form-data; name=\"" + fields.get(i) + "\"\r\n\r\n"
                            + fields.get(i + 1))
                    .getBytes(StandardCharsets.UTF_8));
        }
        body.writeBytes(("\r\n--" + b + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(s.uri().resolve(path))
                                .header("Content-Type", "multipart/form-data; boundary=" + b)
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }
}

package org.blip4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code blip4j serve} options become the right configuration; bad ones are usage errors; the command serves. */
class ServeCommandTest {
    private static ServerConfig parse(String... args) {
        ServeCommand cmd = new ServeCommand();
        CommandLine cl = new CommandLine(cmd);
        cl.setErr(new PrintWriter(new StringWriter()));
        cl.parseArgs(args);
        return cmd.config();
    }

    private static String usageError(String... args) {
        try {
            parse(args);
        } catch (CommandLine.ParameterException e) {
            return e.getMessage();
        }
        throw new AssertionError("accepted " + String.join(" ", args));
    }

    @Test
    void defaultsAreLoopbackShapesNoTokenNoCors() {
        ServerConfig c = parse();
        assertEquals("127.0.0.1", c.host());
        assertEquals(8080, c.port());
        assertEquals(ServerConfig.ModelSpec.shapes(), c.models());
        assertNull(c.token());
        assertTrue(c.corsOrigins().isEmpty());
        assertEquals(ServerConfig.Batching.defaults(), c.batching());
        assertEquals(ServerConfig.Limits.defaults(), c.limits());
    }

    @Test
    void optionsMapToTheConfig(@TempDir Path dir) throws Exception {
        Path token = dir.resolve("token");
        Files.writeString(token, "  abc-123\n");
        ServerConfig c = parse(
                "-m",
                "cap=shapes/caption",
                "--model",
                "shapes/vqa",
                "--host",
                "0.0.0.0",
                "-p",
                "9000",
                "--index",
                "photos=idx/photos@cap",
                "--token-file",
                token.toString(),
                "--cors-origin",
                "https://app.example.org",
                "--max-batch",
                "8",
                "--batch-wait-ms",
                "2",
                "--queue",
                "10",
                "--deadline-ms",
                "1500",
                "--max-request-mb",
                "2",
                "--max-pixels",
                "1000000",
                "--max-texts",
                "16");
        assertEquals(
                List.of(
                        new ServerConfig.ModelSpec("cap", "shapes/caption"),
                        new ServerConfig.ModelSpec("shapes/vqa", "shapes/vqa")),
                c.models());
        assertEquals("0.0.0.0", c.host());
        assertEquals(9000, c.port());
        assertEquals(List.of(new ServerConfig.IndexSpec("photos", Path.of("idx/photos"), "cap")), c.indexes());
        assertEquals("abc-123", c.token());
        assertEquals(List.of("https://app.example.org"), c.corsOrigins());
        assertEquals(new ServerConfig.Batching(8, Duration.ofMillis(2), 10, Duration.ofMillis(1500)), c.batching());
        assertEquals(2L << 20, c.limits().maxRequestBytes());
        assertEquals(1_000_000, c.limits().maxPixels());
        assertEquals(16, c.limits().maxTexts());
        assertEquals(1, parse("--no-batching").batching().maxBatch());
        assertEquals(
                List.of(new ServerConfig.IndexSpec("scenes", Path.of("idx"), "shapes/retrieval", "shapes/caption")),
                parse("--index", "scenes=idx@shapes/retrieval+shapes/caption").indexes());
        assertEquals(
                List.of(new ServerConfig.IndexSpec("scenes", Path.of("idx"), null, "cap")),
                parse("--index", "scenes=idx@+cap").indexes());
    }

    @Test
    void badOptionsAreUsageErrors(@TempDir Path dir) throws Exception {
        assertTrue(usageError("--index", "photos").contains("NAME=DIR"));
        assertTrue(usageError("--index", "photos=idx@cap+").contains("no captioner"));
        assertTrue(usageError("--cors-origin", "app.example.org/x").contains("--cors-origin"));
        assertTrue(usageError("-m", "a=shapes/caption", "-m", "a=shapes/vqa").contains("share a name"));
        assertTrue(usageError("-m", "bad name=x").contains("model name"));
        assertTrue(usageError("--queue", "0").contains("queue capacity"));
        Path empty = dir.resolve("empty");
        Files.writeString(empty, "\n");
        assertTrue(usageError("--token-file", empty.toString()).contains("the token file is empty"));
        assertTrue(usageError("--token-file", dir.resolve("missing").toString()).contains("cannot read"));
        Path spaced = dir.resolve("spaced");
        Files.writeString(spaced, "two words");
        assertTrue(usageError("--token-file", spaced.toString()).contains("printable ASCII"));
    }

    @Test
    void serveRunsUntilClosed() throws Exception {
        ServeCommand cmd = new ServeCommand();
        CommandLine cl = new CommandLine(cmd);
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        CompletableFuture<Integer> exit =
                CompletableFuture.supplyAsync(() -> cl.execute("--port", "0", "-m", "shapes/retrieval"), Http.CLIENTS);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (cmd.server() == null) {
            assertTrue(System.nanoTime() < end && !exit.isDone(), "the server did not start: " + out);
            Thread.sleep(20);
        }
        BlipServer s = cmd.server();
        assertTrue(out.toString().contains("blip4j serve: " + s.uri()), out.toString());
        assertEquals(200, new Http(s).get("/readyz").status());
        s.close();
        assertEquals(0, exit.get(60, TimeUnit.SECONDS));
    }
}

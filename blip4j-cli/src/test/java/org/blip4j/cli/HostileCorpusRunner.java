package org.blip4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs the CLI on each case of a hostile-file corpus in this JVM (a child of {@link HostileCorpusTest}, so a native
 * crash or a runaway allocation cannot take the test JVM with it) and writes one JSON line per case: exit code,
 * stdout, stderr, milliseconds. A case that runs past its limit is recorded as such and the run ends there.
 *
 * <p>args: cases.jsonl (one {@code {"name":…, "args":[…]}} per line), report.jsonl, limit in seconds.
 */
public final class HostileCorpusRunner {
    private HostileCorpusRunner() {}

    public static void main(String[] args) throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> cases = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            if (!line.isBlank()) {
                cases.add(json.readTree(line));
            }
        }
        long limit = Long.parseLong(args[2]);
        ExecutorService pool = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "case");
            t.setDaemon(true);
            return t;
        });
        try (Writer report = Files.newBufferedWriter(Path.of(args[1]), StandardCharsets.UTF_8)) {
            for (JsonNode c : cases) {
                List<String> argv = new ArrayList<>();
                c.get("args").forEach(a -> argv.add(a.asText()));
                StringWriter out = new StringWriter();
                StringWriter err = new StringWriter();
                long t0 = System.nanoTime();
                Future<Integer> f = pool.submit(() ->
                        Main.run(argv.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true)));
                Integer code;
                boolean timedOut = false;
                String thrown = null;
                try {
                    code = f.get(limit, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    code = null;
                    timedOut = true;
                } catch (java.util.concurrent.ExecutionException e) {
                    code = null;
                    thrown = String.valueOf(
                            e.getCause()); // escaped the CLI's handler (an Error such as OutOfMemoryError)
                }
                ObjectNode row = json.createObjectNode()
                        .put("name", c.get("name").asText())
                        .put("millis", (System.nanoTime() - t0) / 1_000_000)
                        .put("out", out.toString())
                        .put("err", err.toString())
                        .put("timedOut", timedOut);
                if (code != null) {
                    row.put("code", code);
                }
                if (thrown != null) {
                    row.put("thrown", thrown);
                }
                report.write(json.writeValueAsString(row));
                report.write('\n');
                report.flush();
                if (timedOut) {
                    break; // the case thread still runs; later cases would measure its load, not theirs
                }
            }
        }
        System.exit(0);
    }
}

package org.blip4j.server;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code blip4j serve}: runs {@link BlipServer} until SIGINT / SIGTERM, then shuts down gracefully. */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description = {
            "Serve BLIP models over HTTP: a JSON API (/v1/..., described at /v1/openapi.json), a web page (/), "
                    + "/healthz, /readyz and Prometheus /metrics.",
            "Concurrent requests for the same model and task are computed in batches with the results they would get "
                    + "alone. Without --model it serves the embedded shapes models (offline)."
        },
        footer = {
            "",
            "Examples:",
            "  blip4j serve                                   # shapes models on http://127.0.0.1:8080/",
            "  blip4j serve -m cap=Salesforce/blip-image-captioning-base -m itm=models/blip-itm-base-coco \\",
            "      --index photos=photos.idx --port 9000",
            "  blip4j serve --host 0.0.0.0 --token-file /etc/blip4j/token --cors-origin https://app.example.org",
            "",
            "Stop with Ctrl-C or SIGTERM: accepted requests are answered first (--shutdown-grace)."
        })
public final class ServeCommand implements Callable<Integer> {
    @Option(
            names = {"-m", "--model"},
            paramLabel = "[NAME=]MODEL",
            description = "A model to serve (repeatable): a folder, weight file, Hugging Face id or shapes/<part>, "
                    + "optionally named (NAME=MODEL; the name is what requests give as \"model\"). 'shapes' alone "
                    + "serves shapes/caption, shapes/retrieval and shapes/vqa. Default: shapes.")
    List<String> models = new ArrayList<>();

    @Option(
            names = "--host",
            defaultValue = "127.0.0.1",
            paramLabel = "ADDR",
            description = "Interface to bind (default: ${DEFAULT-VALUE}, loopback only; 0.0.0.0 for all).")
    String host;

    @Option(
            names = {"-p", "--port"},
            defaultValue = "8080",
            description = "TCP port (default: ${DEFAULT-VALUE}; 0: any free).")
    int port;

    @Option(
            names = "--index",
            paramLabel = "NAME=DIR[@MODEL][+CAPTIONER]",
            description =
                    "An embedding index to search (repeatable), built by `blip4j index` (images) or `blip4j search "
                            + "--texts --index` (texts); @MODEL names the served model that built it (default: the "
                            + "first ITM model); +CAPTIONER a served captioning model that re-ranks the candidates by "
                            + "its likelihood of the text instead of ITM (e.g. scenes=idx@shapes/retrieval+shapes/"
                            + "caption; docs/retrieval.md).")
    List<String> indexes = new ArrayList<>();

    @Option(
            names = "--token-file",
            paramLabel = "FILE",
            description = "Require 'Authorization: Bearer <token>' on every API call and /metrics; the token is the "
                    + "file's content (surrounding whitespace ignored).")
    Path tokenFile;

    @Option(
            names = "--cors-origin",
            paramLabel = "ORIGIN",
            description = "Allow browser calls from this origin (repeatable, e.g. https://app.example.org). "
                    + "Default: CORS off.")
    List<String> corsOrigins = new ArrayList<>();

    @Option(
            names = "--max-batch",
            defaultValue = "16",
            paramLabel = "N",
            description = "Most images computed in one batch per model and task (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--no-batching", description = "Serve requests one at a time (same as --max-batch 1).")
    boolean noBatching;

    @Option(
            names = "--batch-wait-ms",
            defaultValue = "5",
            paramLabel = "MS",
            description = "How long a batch waits for more requests after its first (default: ${DEFAULT-VALUE}).")
    long batchWaitMs;

    @Option(
            names = "--queue",
            defaultValue = "256",
            paramLabel = "N",
            description = "Requests that may wait per model and task; more get 503 + Retry-After "
                    + "(default: ${DEFAULT-VALUE}).")
    int queue;

    @Option(
            names = "--deadline-ms",
            defaultValue = "60000",
            paramLabel = "MS",
            description =
                    "Most time from a request's arrival to its answer; later gets 504 (default: ${DEFAULT-VALUE}).")
    long deadlineMs;

    @Option(
            names = "--max-request-mb",
            defaultValue = "16",
            paramLabel = "MB",
            description = "Largest request body; larger gets 413 (default: ${DEFAULT-VALUE}).")
    int maxRequestMb;

    @Option(
            names = "--max-pixels",
            defaultValue = "40000000",
            paramLabel = "N",
            description = "Largest image (width x height) accepted (default: ${DEFAULT-VALUE}).")
    long maxPixels;

    @Option(
            names = "--max-texts",
            defaultValue = "256",
            paramLabel = "N",
            description = "Most texts or answers in one request (default: ${DEFAULT-VALUE}).")
    int maxTexts;

    @Option(
            names = "--shutdown-grace-s",
            defaultValue = "30",
            paramLabel = "S",
            description = "How long shutdown waits for accepted requests (default: ${DEFAULT-VALUE}).")
    int shutdownGraceS;

    @Option(names = "--threads", paramLabel = "N", description = "Compute threads (default: all cores).")
    Integer threads;

    @Option(
            names = {"-v", "--verbose"},
            description = "Print stack traces on errors.")
    boolean verbose;

    @Spec
    CommandLine.Model.CommandSpec spec;

    private volatile BlipServer server;

    /** The running server once {@link #call()} has started it (for embedding and tests), else null. */
    public BlipServer server() {
        return server;
    }

    /** The configuration these options describe; usage errors are {@link ParameterException}s. */
    ServerConfig config() {
        CommandLine cl = spec.commandLine();
        try {
            List<ServerConfig.ModelSpec> ms = new ArrayList<>();
            for (String m : models.isEmpty() ? List.of("shapes") : models) {
                ms.addAll(ServerConfig.ModelSpec.parse(m));
            }
            List<ServerConfig.IndexSpec> is = new ArrayList<>();
            for (String i : indexes) {
                is.add(ServerConfig.IndexSpec.parse(i));
            }
            ServerConfig.Limits limits = new ServerConfig.Limits(
                    (long) maxRequestMb << 20,
                    maxPixels,
                    maxTexts,
                    ServerConfig.Limits.defaults().maxTextChars(),
                    ServerConfig.Limits.defaults().maxImages());
            ServerConfig.Batching batching = new ServerConfig.Batching(
                    noBatching ? 1 : maxBatch, Duration.ofMillis(batchWaitMs), queue, Duration.ofMillis(deadlineMs));
            for (String o : corsOrigins) {
                if (!o.matches("https?://[^/\\s]+") && !o.equals("*")) {
                    throw new IllegalArgumentException("--cors-origin " + o
                            + ": give an origin such as https://app.example.org " + "(scheme and host, no path)");
                }
            }
            return new ServerConfig(
                    host, port, ms, is, readToken(), corsOrigins, limits, batching, Duration.ofSeconds(shutdownGraceS));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(cl, e.getMessage(), e);
        }
    }

    private String readToken() {
        if (tokenFile == null) {
            return null;
        }
        String t;
        try {
            t = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new IllegalArgumentException(tokenFile + ": cannot read the token file (" + e.getMessage() + ")");
        }
        if (t.isEmpty()) {
            throw new IllegalArgumentException(tokenFile + ": the token file is empty");
        }
        if (t.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
            throw new IllegalArgumentException(tokenFile + ": the token must be printable ASCII without spaces");
        }
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(tokenFile);
            if (p.contains(PosixFilePermission.OTHERS_READ)) {
                spec.commandLine()
                        .getErr()
                        .println("blip4j serve: warning: " + tokenFile + " is readable by every user "
                                + "(chmod 600 it)");
            }
        } catch (IOException | UnsupportedOperationException e) {
            // not a POSIX file system: nothing to check
        }
        return t;
    }

    @Override
    public Integer call() throws Exception {
        ServerConfig cfg = config();
        for (String noisy : new String[] {"org.eclipse.jetty", "io.javalin"}) { // start-up chatter; warnings stay
            String key = "org.slf4j.simpleLogger.log." + noisy;
            if (System.getProperty(key) == null) {
                System.setProperty(key, "warn");
            }
        }
        if (threads != null) {
            org.blip4j.engine.Engine.setThreads(threads);
        }
        PrintWriter err = spec.commandLine().getErr();
        if (!isLoopback(cfg.host()) && cfg.token() == null) {
            err.println("blip4j serve: warning: listening on " + cfg.host() + " without --token-file: anyone who can "
                    + "reach this port can use the models");
        }
        err.flush();
        BlipServer s = BlipServer.start(cfg);
        Thread hook = new Thread(s::close, "blip4j-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        PrintWriter out = spec.commandLine().getOut();
        out.println("blip4j serve: " + s.uri() + " (models: "
                + String.join(
                        ", ",
                        cfg.models().stream().map(ServerConfig.ModelSpec::name).toList()) + "); Ctrl-C stops");
        out.flush();
        server = s; // published after the address line, so whoever sees the server also sees the line
        s.awaitClosed();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook is running
        }
        return 0;
    }

    static boolean isLoopback(String host) {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]");
    }

    /** Runs the server without the rest of the CLI (same options). */
    public static void main(String[] args) {
        CommandLine cl = new CommandLine(new ServeCommand());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("blip4j serve: " + ex.getMessage());
            return 1;
        });
        System.exit(cl.execute(args));
    }
}

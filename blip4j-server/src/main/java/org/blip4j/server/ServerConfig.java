package org.blip4j.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Everything {@code blip4j serve} is started with: where to listen, what to serve, limits, batching and security.
 *
 * @param host interface to bind (loopback by default)
 * @param port TCP port; 0 picks a free one (tests)
 * @param models the models to serve, each under its own name
 * @param indexes embedding indexes opened at start-up for search
 * @param token bearer token every API call must carry, or null for none
 * @param corsOrigins origins allowed to call the API from a browser (empty: CORS off)
 * @param limits request and image limits
 * @param batching how requests are gathered into batches, queue bound and deadline
 * @param shutdownGrace how long a graceful shutdown waits for accepted requests
 */
public record ServerConfig(
        String host,
        int port,
        List<ModelSpec> models,
        List<IndexSpec> indexes,
        String token,
        List<String> corsOrigins,
        Limits limits,
        Batching batching,
        Duration shutdownGrace) {

    public ServerConfig {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
        }
        models = List.copyOf(models);
        indexes = List.copyOf(indexes);
        corsOrigins = List.copyOf(corsOrigins);
        if (models.isEmpty()) {
            throw new IllegalArgumentException("no models to serve");
        }
        if (token != null && token.isBlank()) {
            throw new IllegalArgumentException("the bearer token is empty");
        }
        long distinct = models.stream().map(ModelSpec::name).distinct().count();
        if (distinct != models.size()) {
            throw new IllegalArgumentException("two models share a name; name them with --model NAME=SPEC");
        }
    }

    /** Loopback, port 8080, the embedded shapes models, default limits and batching, no token, no CORS. */
    public static ServerConfig defaults() {
        return new ServerConfig(
                "127.0.0.1",
                8080,
                ModelSpec.shapes(),
                List.of(),
                null,
                List.of(),
                Limits.defaults(),
                Batching.defaults(),
                Duration.ofSeconds(30));
    }

    public ServerConfig withPort(int p) {
        return new ServerConfig(host, p, models, indexes, token, corsOrigins, limits, batching, shutdownGrace);
    }

    public ServerConfig withModels(List<ModelSpec> m) {
        return new ServerConfig(host, port, m, indexes, token, corsOrigins, limits, batching, shutdownGrace);
    }

    public ServerConfig withIndexes(List<IndexSpec> i) {
        return new ServerConfig(host, port, models, i, token, corsOrigins, limits, batching, shutdownGrace);
    }

    public ServerConfig withToken(String t) {
        return new ServerConfig(host, port, models, indexes, t, corsOrigins, limits, batching, shutdownGrace);
    }

    public ServerConfig withCorsOrigins(List<String> o) {
        return new ServerConfig(host, port, models, indexes, token, o, limits, batching, shutdownGrace);
    }

    public ServerConfig withLimits(Limits l) {
        return new ServerConfig(host, port, models, indexes, token, corsOrigins, l, batching, shutdownGrace);
    }

    public ServerConfig withBatching(Batching b) {
        return new ServerConfig(host, port, models, indexes, token, corsOrigins, limits, b, shutdownGrace);
    }

    /** A model to serve: {@code name} in requests, {@code spec} as {@code --model} takes it (folder, file, hub id…). */
    public record ModelSpec(String name, String spec) {
        public ModelSpec {
            if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9._/@-]{0,127}")) {
                throw new IllegalArgumentException("model name '" + name + "': use letters, digits and . _ / @ - only");
            }
        }

        /** {@code NAME=SPEC}, or a plain spec named after itself; {@code shapes} alone means all three shapes parts. */
        public static List<ModelSpec> parse(String arg) {
            int eq = arg.indexOf('=');
            if (eq < 0 && arg.equalsIgnoreCase("shapes") && !java.nio.file.Files.exists(Path.of(arg))) {
                return shapes();
            }
            return List.of(
                    eq < 0 ? new ModelSpec(arg, arg) : new ModelSpec(arg.substring(0, eq), arg.substring(eq + 1)));
        }

        /** The embedded shapes models: a captioner, a retrieval (ITM/ITC) model and a VQA model. */
        public static List<ModelSpec> shapes() {
            return List.of(
                    new ModelSpec("shapes/caption", "shapes/caption"),
                    new ModelSpec("shapes/retrieval", "shapes/retrieval"),
                    new ModelSpec("shapes/vqa", "shapes/vqa"));
        }
    }

    /**
     * An embedding index to search: {@code name} in requests, its folder, the model that embeds queries (null: the
     * first ITM model), and the served captioning model that re-ranks its candidates by its likelihood of the text
     * (null: ITM re-ranks, as BLIP; docs/retrieval.md).
     */
    public record IndexSpec(String name, Path dir, String model, String captioner) {
        public IndexSpec {
            if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
                throw new IllegalArgumentException("index name '" + name + "': use letters, digits and . _ - only");
            }
        }

        /** Re-ranked by ITM. */
        public IndexSpec(String name, Path dir, String model) {
            this(name, dir, model, null);
        }

        /** {@code NAME=DIR}, {@code NAME=DIR@MODEL}, {@code NAME=DIR@MODEL+CAPTIONER}, {@code NAME=DIR@+CAPTIONER}. */
        public static IndexSpec parse(String arg) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(
                        "--index takes NAME=DIR, NAME=DIR@MODEL or NAME=DIR@MODEL+CAPTIONER, got '" + arg + "'");
            }
            String rest = arg.substring(eq + 1);
            int at = rest.lastIndexOf('@');
            if (at < 0) {
                return new IndexSpec(arg.substring(0, eq), Path.of(rest), null, null);
            }
            String models = rest.substring(at + 1);
            int plus = models.indexOf('+');
            String model = plus < 0 ? models : models.substring(0, plus);
            String captioner = plus < 0 ? null : models.substring(plus + 1);
            if (captioner != null && captioner.isEmpty()) {
                throw new IllegalArgumentException("--index '" + arg + "': no captioner after '+'");
            }
            return new IndexSpec(
                    arg.substring(0, eq), Path.of(rest.substring(0, at)), model.isEmpty() ? null : model, captioner);
        }
    }

    /**
     * Request limits.
     *
     * @param maxRequestBytes largest request body (JSON or multipart), answered 413 above it
     * @param maxPixels largest decoded image (width × height), answered 400 above it
     * @param maxTexts most texts (or answers) in one request
     * @param maxTextChars longest text, question or prefix
     * @param maxImages most images in one embeddings request
     */
    public record Limits(long maxRequestBytes, long maxPixels, int maxTexts, int maxTextChars, int maxImages) {
        public Limits {
            if (maxRequestBytes < 1024 || maxPixels < 1 || maxTexts < 1 || maxTextChars < 1 || maxImages < 1) {
                throw new IllegalArgumentException("limits must be positive (request size at least 1 KiB)");
            }
        }

        /** 16 MiB requests, 40 megapixels, 256 texts of up to 1,000 characters, 32 images per embeddings request. */
        public static Limits defaults() {
            return new Limits(16L << 20, 40_000_000L, 256, 1000, 32);
        }
    }

    /**
     * Batching across requests and back-pressure, per model and task.
     *
     * @param maxBatch most images in one batch (1 = no batching: requests are served one at a time)
     * @param maxWait how long a batch waits for more requests after its first one
     * @param queueCapacity requests waiting per model and task; more are answered 503 with Retry-After
     * @param deadline how long a request may take from arrival to answer (504 after it)
     */
    public record Batching(int maxBatch, Duration maxWait, int queueCapacity, Duration deadline) {
        public Batching {
            if (maxBatch < 1
                    || queueCapacity < 1
                    || maxWait.isNegative()
                    || deadline.isNegative()
                    || deadline.isZero()) {
                throw new IllegalArgumentException(
                        "batch size and queue capacity must be at least 1, wait >= 0, deadline > 0");
            }
        }

        /** Batches of up to 16 images gathered for up to 5 ms, 256 requests queued, 60 s deadline. */
        public static Batching defaults() {
            return new Batching(16, Duration.ofMillis(5), 256, Duration.ofSeconds(60));
        }

        public Batching withMaxBatch(int n) {
            return new Batching(n, maxWait, queueCapacity, deadline);
        }

        public Batching withQueueCapacity(int n) {
            return new Batching(maxBatch, maxWait, n, deadline);
        }

        public Batching withDeadline(Duration d) {
            return new Batching(maxBatch, maxWait, queueCapacity, d);
        }

        public Batching withMaxWait(Duration d) {
            return new Batching(maxBatch, d, queueCapacity, deadline);
        }
    }
}

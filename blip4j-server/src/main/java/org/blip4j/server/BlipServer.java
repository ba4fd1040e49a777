package org.blip4j.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HttpResponseException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.blip4j.Blip;
import org.blip4j.hub.BundledModels;
import org.blip4j.image.ImageLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code blip4j serve}: BLIP models behind a versioned JSON API ({@code /v1/…}, described by {@code
 * /v1/openapi.json}), a web page ({@code /}), {@code /healthz}, {@code /readyz} and Prometheus {@code /metrics}, on
 * Javalin (Jetty). Concurrent requests for the same model and task are computed in batches ({@link Lane}); each
 * queue is bounded (503 + Retry-After when full) and every request has a deadline (504). Closing is graceful: new
 * requests are refused, accepted ones are answered.
 */
public final class BlipServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BlipServer.class);

    private final ServerConfig config;
    private final Metrics metrics = new Metrics();
    private final ObjectMapper json = new ObjectMapper();
    private final ImageLoader loader;
    // published whole (copy on write) so that request threads never see a map being filled
    private volatile Map<String, ServedModel> models = Map.of();
    private volatile Map<String, ServedIndex> indexes = Map.of();
    private final AtomicInteger inflight = new AtomicInteger();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final byte[] token;
    private Javalin app;
    private volatile boolean ready;
    private volatile boolean draining;

    private BlipServer(ServerConfig config) {
        this.config = config;
        this.loader = ImageLoader.defaults().withMaxPixels(config.limits().maxPixels());
        this.token = config.token() == null ? null : config.token().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Starts listening, loads the models and opens the indexes, and returns once ready. Until then {@code /healthz}
     * answers and {@code /readyz} and the API answer 503.
     *
     * @throws IOException when the port cannot be bound, or a model or index cannot be loaded (the server is stopped)
     */
    public static BlipServer start(ServerConfig config) throws IOException {
        BlipServer s = new BlipServer(config);
        s.listen();
        try {
            s.load();
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private void listen() throws IOException {
        app = Javalin.create(this::configure);
        try {
            app.start(config.host(), config.port());
        } catch (RuntimeException e) {
            Throwable t = e;
            while (t.getCause() != null && !(t instanceof java.net.BindException)) {
                t = t.getCause();
            }
            throw new IOException("cannot listen on " + config.host() + ":" + config.port() + ": " + t.getMessage(), e);
        }
    }

    private void load() throws IOException {
        for (ServerConfig.ModelSpec m : config.models()) {
            LOG.info("loading model {} ({})", m.name(), m.spec());
            String spec = m.spec();
            Blip blip = BundledModels.isBundled(spec) && !java.nio.file.Files.exists(java.nio.file.Path.of(spec))
                    ? Blip.load(BundledModels.resolve(spec))
                    : Blip.load(spec);
            if (Capability.of(blip.task()).isEmpty()) {
                throw new IOException(m.name() + " (" + spec + "): an NLVR2 model; blip4j serve serves captioning, ITM/"
                        + "retrieval, VQA and pre-training checkpoints");
            }
            Map<String, ServedModel> more = new LinkedHashMap<>(models);
            more.put(m.name(), new ServedModel(m.name(), spec, blip, config.batching(), metrics));
            models = java.util.Collections.unmodifiableMap(more);
        }
        for (ServerConfig.IndexSpec i : config.indexes()) {
            ServedModel m = i.model() != null
                    ? models.get(i.model())
                    : models.values().stream()
                            .filter(x -> x.can(Capability.SEARCH))
                            .findFirst()
                            .orElse(null);
            if (m == null || !m.can(Capability.SEARCH)) {
                throw new IOException("index " + i.name() + ": "
                        + (i.model() == null
                                ? "no ITM/retrieval model is served " + "to search it; add one with --model"
                                : "model " + i.model() + " is not served or cannot search"));
            }
            ServedModel captioner = i.captioner() == null ? null : models.get(i.captioner());
            if (i.captioner() != null && (captioner == null || !captioner.can(Capability.CAPTION))) {
                throw new IOException("index " + i.name() + ": captioner " + i.captioner()
                        + " is not served or cannot caption; serve a captioning model with --model");
            }
            Map<String, ServedIndex> more = new LinkedHashMap<>(indexes);
            more.put(i.name(), ServedIndex.open(i, m, captioner, loader));
            indexes = java.util.Collections.unmodifiableMap(more);
        }
        ready = true;
        metrics.ready(true);
        LOG.info("ready: {} on {}", String.join(", ", models.keySet()), uri());
    }

    private void configure(JavalinConfig c) {
        c.startup.showJavalinBanner = false;
        c.startup.showOldJavalinVersionWarning = false;
        long max = config.limits().maxRequestBytes();
        c.http.maxRequestSize = max;
        c.http.prefer405over404 = true;
        c.http.asyncTimeout = config.batching().deadline().plusSeconds(5).toMillis();
        c.jetty.multipartConfig.maxTotalRequestSize(max, SizeUnit.BYTES);
        c.jetty.multipartConfig.maxFileSize(max, SizeUnit.BYTES);
        c.jetty.multipartConfig.maxInMemoryFileSize((int) Math.min(Integer.MAX_VALUE, max), SizeUnit.BYTES);
        if (!config.corsOrigins().isEmpty()) {
            c.bundledPlugins.enableCors(cors -> cors.addRule(rule -> {
                for (String o : config.corsOrigins()) {
                    rule.allowHost(o);
                }
                rule.exposeHeader("Retry-After");
                rule.exposeHeader("Server-Timing");
                rule.exposeHeader("X-Batch-Size");
            }));
        }
        var r = c.routes;
        r.before(this::admit);
        r.after(this::account);
        r.get("/healthz", ctx -> send(ctx, 200, Map.of("status", "ok")));
        r.get("/readyz", ctx -> {
            boolean ok = ready && !draining;
            send(
                    ctx,
                    ok ? 200 : 503,
                    Map.of(
                            "status",
                            ok ? "ready" : draining ? "shutting down" : "loading",
                            "models",
                            new ArrayList<>(models.keySet())));
        });
        r.get("/metrics", ctx -> ctx.contentType(Metrics.CONTENT_TYPE).result(metrics.scrape()));
        new WebPage().register(r);
        Endpoints api = new Endpoints(this);
        api.register(r);
        r.exception(ServiceException.class, (e, ctx) -> error(ctx, e));
        r.exception(HttpResponseException.class, (e, ctx) -> error(ctx, translate(e)));
        r.exception(Exception.class, (e, ctx) -> error(ctx, internal(ctx, e)));
        r.error(404, ctx -> {
            if (ctx.result() == null || ctx.result().isEmpty()) {
                error(
                        ctx,
                        new ServiceException(
                                404,
                                "not_found",
                                "no such endpoint: " + ctx.method() + " " + ctx.path()
                                        + " (the API is described at /v1/openapi.json)",
                                0));
            }
        });
        r.error(
                405,
                ctx -> error(
                        ctx,
                        new ServiceException(
                                405, "method_not_allowed", ctx.method() + " is not allowed on " + ctx.path(), 0)));
    }

    /** Before every request: auth for the API and metrics, refusal while loading or closing, in-flight count. */
    private void admit(Context ctx) {
        ctx.attribute("t0", System.nanoTime());
        ctx.header("X-Content-Type-Options", "nosniff");
        String path = ctx.path();
        boolean api = path.startsWith("/v1/");
        if (api || path.equals("/metrics")) {
            ctx.header("Cache-Control", "no-store");
            if (ctx.method() != io.javalin.http.HandlerType.OPTIONS) {
                authorize(ctx);
            }
        }
        if (api) {
            if (draining) {
                throw ServiceException.unavailable("the server is shutting down", 5);
            }
            inflight.incrementAndGet();
            metrics.inflight(1);
            ctx.attribute("inflight", Boolean.TRUE);
        }
    }

    private void authorize(Context ctx) {
        if (token == null) {
            return;
        }
        String h = ctx.header("Authorization");
        if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"blip4j\"");
            throw new ServiceException(
                    401,
                    "unauthorized",
                    "this server requires a bearer token: send 'Authorization: " + "Bearer <token>'",
                    0);
        }
        byte[] given = h.substring(7).strip().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, token)) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"blip4j\", error=\"invalid_token\"");
            throw new ServiceException(401, "unauthorized", "the bearer token is wrong", 0);
        }
    }

    private void account(Context ctx) {
        if (ctx.attribute("inflight") != null) {
            ctx.attribute("inflight", null);
            inflight.decrementAndGet();
            metrics.inflight(-1);
        }
        Long t0 = ctx.attribute("t0");
        String endpoint = ctx.attribute("endpoint");
        if (t0 != null) {
            metrics.request(endpoint == null ? "other" : endpoint, ctx.statusCode(), (System.nanoTime() - t0) / 1e9);
        }
    }

    // ---------------------------------------------------------------- helpers for the endpoints

    ServerConfig config() {
        return config;
    }

    ObjectMapper json() {
        return json;
    }

    ImageLoader loader() {
        return loader;
    }

    Map<String, ServedModel> models() {
        return models;
    }

    Map<String, ServedIndex> indexes() {
        return indexes;
    }

    /** Registers a route that is labelled {@code path} in metrics. */
    static void route(io.javalin.config.RoutesConfig r, io.javalin.http.HandlerType method, String path, Handler h) {
        r.addHttpHandler(method, path, ctx -> {
            ctx.attribute("endpoint", path);
            h.handle(ctx);
        });
    }

    /** The model named in a request, or the first one that can do {@code c}; 400 for unknown or unable models. */
    ServedModel model(String name, Capability c) {
        if (!ready) {
            throw ServiceException.unavailable("the models are still loading", 5);
        }
        if (name == null) {
            return models.values().stream()
                    .filter(m -> m.can(c))
                    .findFirst()
                    .orElseThrow(() -> ServiceException.badRequest(
                            "no_model", "no served model can do " + c.label() + "; served: " + served()));
        }
        ServedModel m = models.get(name);
        if (m == null) {
            throw ServiceException.badRequest("unknown_model", "unknown model '" + name + "'; served: " + served());
        }
        if (!m.can(c)) {
            throw ServiceException.badRequest(
                    "wrong_model",
                    "model '" + name + "' (" + m.blip().task().name().toLowerCase(java.util.Locale.ROOT)
                            + ") cannot do " + c.label() + "; served: " + served());
        }
        return m;
    }

    private String served() {
        List<String> out = new ArrayList<>();
        models.values()
                .forEach(m -> out.add(m.name() + " ("
                        + String.join(
                                ", ",
                                m.capabilities().stream().map(Capability::label).toList()) + ")"));
        return String.join("; ", out);
    }

    /**
     * Queues {@code input} on the model's lane for {@code c} and answers with {@code render(result)} once computed, or
     * with 503 (queue full), 504 (deadline) or the computation's error.
     */
    <I, O> void submit(
            Context ctx, ServedModel model, Capability c, I input, Object key, int weight, Function<O, Object> render) {
        Lane<I, O> lane = model.lane(c);
        Long t0 = ctx.attribute("t0");
        long arrival = t0 == null ? System.nanoTime() : t0;
        long deadline = arrival + config.batching().deadline().toNanos();
        Lane.Job<I, O> job = lane.submit(input, key, weight, deadline);
        long left = Math.max(1, deadline - System.nanoTime());
        CompletableFuture<Void> done = job.result
                .orTimeout(left, TimeUnit.NANOSECONDS)
                .handle((out, err) -> {
                    if (err != null) {
                        Throwable t = err instanceof java.util.concurrent.CompletionException && err.getCause() != null
                                ? err.getCause()
                                : err;
                        if (t instanceof TimeoutException) {
                            lane.withdraw(job);
                            t = ServiceException.deadline(lane.name());
                        }
                        error(
                                ctx,
                                t instanceof ServiceException se
                                        ? se
                                        : userError(t) != null ? userError(t) : internal(ctx, t));
                        return null;
                    }
                    ctx.header("X-Batch-Size", Integer.toString(out.batchSize()));
                    ctx.header(
                            "Server-Timing",
                            String.format(
                                    java.util.Locale.ROOT,
                                    "queue;dur=%.1f, compute;dur=%.1f",
                                    out.queuedNanos() / 1e6,
                                    out.computeNanos() / 1e6));
                    try {
                        send(ctx, 200, render.apply(out.value()));
                    } catch (RuntimeException e) {
                        error(ctx, internal(ctx, e));
                    }
                    return null;
                });
        ctx.future(() -> done);
    }

    /** What the library throws for bad input (e.g. an empty answer list) becomes a 400. */
    private static ServiceException userError(Throwable t) {
        if (t instanceof IllegalArgumentException || t instanceof UnsupportedOperationException) {
            return ServiceException.badRequest("bad_parameter", t.getMessage());
        }
        return null;
    }

    void send(Context ctx, int status, Object body) {
        try {
            ctx.status(status).contentType("application/json").result(json.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    void error(Context ctx, ServiceException e) {
        if (e.retryAfterSeconds() > 0) {
            ctx.header("Retry-After", Integer.toString(e.retryAfterSeconds()));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", e.getMessage());
        body.put("code", e.code());
        body.put("status", e.status());
        send(ctx, e.status(), body);
    }

    private ServiceException internal(Context ctx, Throwable e) {
        ServiceException user = userError(e);
        if (user != null) {
            return user;
        }
        LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
        return new ServiceException(
                500,
                "internal",
                "internal error (" + e.getClass().getSimpleName() + "); the server log has the details",
                0);
    }

    private static ServiceException translate(HttpResponseException e) {
        int s = e.getStatus();
        String code = switch (s) {
            case 400 -> "bad_request";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 413 -> "too_large";
            default -> "http_" + s;
        };
        return new ServiceException(
                s, code, e.getMessage() == null || e.getMessage().isBlank() ? "HTTP " + s : e.getMessage(), 0);
    }

    // ---------------------------------------------------------------- lifecycle

    public int port() {
        return app.port();
    }

    /** The base address, e.g. {@code http://127.0.0.1:8080/}. */
    public URI uri() {
        String h = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
        return URI.create("http://" + h + ":" + port() + "/");
    }

    public boolean isReady() {
        return ready && !draining;
    }

    /** Blocks until {@link #close()} has finished (e.g. from a shutdown hook). */
    public void awaitClosed() throws InterruptedException {
        closed.await();
    }

    /** Test hook: holds (or releases) every lane's batches, so that queues fill deterministically. */
    void pauseLanes(boolean p) {
        models.values().forEach(m -> m.lanes().values().forEach(l -> l.pause(p)));
    }

    /**
     * Graceful shutdown: refuses new API requests (503), answers every accepted one (up to the configured grace),
     * then stops listening and releases models and indexes. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed.getCount() == 0) {
            return;
        }
        draining = true;
        metrics.ready(false);
        long grace = config.shutdownGrace().toNanos();
        long end = System.nanoTime() + grace;
        for (ServedModel m : models.values()) {
            m.close(Math.max(1, end - System.nanoTime()));
        }
        while (inflight.get() > 0 && System.nanoTime() < end) { // answers computed; let their responses go out
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (app != null) {
            app.stop();
        }
        for (ServedIndex i : indexes.values()) {
            try {
                i.close();
            } catch (IOException e) {
                LOG.warn("closing index {}: {}", i.name(), e.getMessage());
            }
        }
        LOG.info("stopped");
        closed.countDown();
    }
}

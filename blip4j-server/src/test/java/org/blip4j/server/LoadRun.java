package org.blip4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.blip4j.config.BlipConfig;
import org.blip4j.engine.T;
import org.blip4j.io.RawTensor;
import org.blip4j.io.SafeTensors;
import org.blip4j.model.BlipDecoder;
import org.blip4j.shapes.ShapesConfig;
import org.blip4j.shapes.ShapesGenerator;
import org.bytedeco.javacpp.Pointer;

/**
 * The load run and the serving benchmark of {@code blip4j serve} (commands, not tests; {@code bin/blip4j-loadrun}).
 *
 * <ul>
 *   <li>{@code scenes DIR N}: writes N shapes scenes to {@code DIR/images/test/}.
 *   <li>{@code run DIR [--clients 64] [--requests 2000] [--max-batch 16]}: an in-process server on loopback with the
 *       shapes models, C clients each sending R requests (caption, vqa, itm, itc, embeddings in turn) about the scenes;
 *       every answer is compared with what the CLI printed for the same image ({@code DIR/*.jsonl}, written by the
 *       script with {@code blip4j caption/vqa/itm/embed --json}); counts statuses (503s are retried after
 *       Retry-After and reported as deliberate), latency, throughput, and the settled resident set (after GC and
 *       malloc_trim) at each tenth of the run. Exit 0 only with no mismatch, no other 5xx and flat memory.
 *   <li>{@code bench DIR [--clients 1,4,16,64] [--total 256] [--total-base 16] [--models shapes,base]}: caption
 *       throughput (beam 3, the reference's defaults) with and without batching, for the shapes captioner and a
 *       base-size (ViT-B/16@384 + BERT-base) random-weight captioner; a markdown table.
 * </ul>
 *
 * <p>{@code --threads N} sets libtorch's compute threads for either (default: all cores).
 */
public final class LoadRun {
    private LoadRun() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println(
                    "usage: LoadRun scenes DIR N | run DIR [--clients C] [--requests R] [--max-batch B] | "
                            + "bench DIR "
                            + "[--clients 1,4,16,64] [--total N] [--total-base N] [--models shapes,base]; --threads N for either");
            System.exit(2);
        }
        Path dir = Path.of(args[1]);
        Map<String, String> opt = new HashMap<>();
        for (int i = 2; i + 1 < args.length; i += 2) {
            opt.put(args[i], args[i + 1]);
        }
        if (opt.containsKey("--threads")) {
            org.blip4j.engine.Engine.setThreads(Integer.parseInt(opt.remove("--threads")));
        }
        switch (args[0]) {
            case "scenes" ->
                ShapesGenerator.generate(
                        ShapesConfig.defaults(11)
                                .withNlvr(0, 0)
                                .withSizes(0, 0, Integer.parseInt(args[2]), 0)
                                .withPerImage(1, 1)
                                .withThreads(2),
                        dir,
                        (d, t) -> {});
            case "run" ->
                System.exit(
                        run(
                                        dir,
                                        Integer.parseInt(opt.getOrDefault("--clients", "64")),
                                        Integer.parseInt(opt.getOrDefault("--requests", "2000")),
                                        Integer.parseInt(opt.getOrDefault("--max-batch", "16")))
                                ? 0
                                : 1);
            case "bench" ->
                bench(
                        dir,
                        Arrays.stream(opt.getOrDefault("--clients", "1,4,16,64").split(","))
                                .mapToInt(Integer::parseInt)
                                .toArray(),
                        Integer.parseInt(opt.getOrDefault("--total", "256")),
                        Integer.parseInt(opt.getOrDefault("--total-base", "16")),
                        List.of(opt.getOrDefault("--models", "shapes,base").split(",")));
            default -> {
                System.err.println("unknown mode " + args[0]);
                System.exit(2);
            }
        }
        System.exit(0);
    }

    /** The scene images, sorted. */
    static List<Path> images(Path dir) throws IOException {
        try (var s = Files.list(dir.resolve("images/test"))) {
            return s.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
    }

    private static List<JsonNode> jsonl(Path f) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(f)) {
            if (!l.isBlank()) {
                out.add(Http.JSON.readTree(l));
            }
        }
        return out;
    }

    private static String name(JsonNode row) {
        return Path.of(row.get("image").asText()).getFileName().toString();
    }

    /** What the CLI printed: captions, answers per question, itm/itc per text, embeddings, per image file name. */
    record Expected(
            Map<String, String> captions,
            Map<String, Map<String, String>> answers,
            Map<String, Map<String, double[]>> scores,
            Map<String, float[]> embeddings) {
        static Expected read(Path dir) throws IOException {
            Map<String, String> caps = new HashMap<>();
            jsonl(dir.resolve("captions.jsonl"))
                    .forEach(r -> caps.put(name(r), r.get("caption").asText()));
            Map<String, Map<String, String>> answers = new HashMap<>();
            jsonl(dir.resolve("vqa.jsonl"))
                    .forEach(r -> answers.computeIfAbsent(name(r), k -> new TreeMap<>())
                            .put(r.get("question").asText(), r.get("answer").asText()));
            Map<String, Map<String, double[]>> scores = new HashMap<>();
            jsonl(dir.resolve("itm.jsonl"))
                    .forEach(r -> scores.computeIfAbsent(name(r), k -> new TreeMap<>())
                            .put(r.get("text").asText(), new double[] {
                                r.get("itm").asDouble(), r.get("itc").asDouble()
                            }));
            Map<String, float[]> emb = new HashMap<>();
            jsonl(dir.resolve("embed.jsonl")).stream()
                    .filter(r -> r.has("image"))
                    .forEach(r -> emb.put(name(r), ApiTest.floats(r.get("embedding"))));
            return new Expected(caps, answers, scores, emb);
        }
    }

    static long settledRssMb() {
        System.gc();
        Pointer.trimMemory();
        return Pointer.physicalBytes() >> 20;
    }

    // ---------------------------------------------------------------- the load run

    static boolean run(Path dir, int clients, int requests, int maxBatch) throws Exception {
        List<Path> files = images(dir);
        Map<String, byte[]> png = new HashMap<>();
        for (Path f : files) {
            png.put(f.getFileName().toString(), Files.readAllBytes(f));
        }
        List<String> names = files.stream().map(f -> f.getFileName().toString()).toList();
        Expected ex = Expected.read(dir);
        ServerConfig cfg = ServerConfig.defaults()
                .withPort(0)
                .withBatching(ServerConfig.Batching.defaults().withMaxBatch(maxBatch));
        int total = clients * requests;
        try (BlipServer server = BlipServer.start(cfg)) {
            Http http = new Http(server);
            Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
            AtomicInteger deliberate503 = new AtomicInteger();
            AtomicInteger done = new AtomicInteger();
            AtomicInteger batchedRequests = new AtomicInteger();
            Map<String, String> mismatches = new ConcurrentHashMap<>();
            long[] latency = new long[total];
            List<Long> rss = Collections.synchronizedList(new ArrayList<>());
            rss.add(settledRssMb());
            Thread monitor = new Thread(
                    () -> { // settled RSS at every tenth of the run
                        int next = 1;
                        while (next <= 10) {
                            if (done.get() >= (long) total * next / 10) {
                                rss.add(settledRssMb());
                                next++;
                            } else {
                                try {
                                    Thread.sleep(20);
                                } catch (InterruptedException e) {
                                    return;
                                }
                            }
                        }
                    },
                    "rss-monitor");
            monitor.setDaemon(true);
            monitor.start();
            CountDownLatch finished = new CountDownLatch(clients);
            long t0 = System.nanoTime();
            for (int c = 0; c < clients; c++) {
                int client = c;
                Http.CLIENTS.execute(() -> {
                    try {
                        for (int k = 0; k < requests; k++) {
                            String img = names.get((int) ((client * 1_000_003L + k * 7L) % names.size()));
                            long s = System.nanoTime();
                            String problem = one(
                                    http,
                                    (client + k) % 5,
                                    img,
                                    png.get(img),
                                    ex,
                                    statuses,
                                    deliberate503,
                                    batchedRequests);
                            latency[client * requests + k] = System.nanoTime() - s;
                            if (problem != null) {
                                mismatches.putIfAbsent(img + " #" + client + "/" + k, problem);
                            }
                            done.incrementAndGet();
                        }
                    } finally {
                        finished.countDown();
                    }
                });
            }
            finished.await();
            double secs = (System.nanoTime() - t0) / 1e9;
            monitor.join(60_000);
            Arrays.sort(latency);
            int other5xx = statuses.entrySet().stream()
                    .filter(e -> e.getKey() >= 500 && e.getKey() != 503)
                    .mapToInt(e -> e.getValue().get())
                    .sum();
            List<Long> r = new ArrayList<>(rss);
            long firstHalf = r.size() > 6 ? Math.min(r.get(2), r.get(3)) : r.get(0); // after warm-up
            long secondHalf = r.size() > 6 ? Math.min(r.get(r.size() - 2), r.get(r.size() - 1)) : r.get(r.size() - 1);
            boolean flat = secondHalf - firstHalf < 64;
            System.out.printf(
                    Locale.ROOT,
                    "load run: %d clients x %d requests = %d, max batch %d, %.1f s, %.1f req/s%n",
                    clients,
                    requests,
                    total,
                    maxBatch,
                    secs,
                    total / secs);
            System.out.printf(
                    Locale.ROOT,
                    "latency p50 %.0f ms, p99 %.0f ms, max %.0f ms; %d requests computed in batches "
                            + "of 2 or more%n",
                    latency[total / 2] / 1e6,
                    latency[(int) (total * 0.99)] / 1e6,
                    latency[total - 1] / 1e6,
                    batchedRequests.get());
            System.out.println("statuses: " + new TreeMap<>(statuses) + " (503s retried after Retry-After: "
                    + deliberate503.get() + "); other 5xx: " + other5xx);
            System.out.println("settled RSS (MB) at 0, 10, ..., 100 %: " + r + " -> " + (flat ? "flat" : "GROWING")
                    + " (second half vs first half: " + (secondHalf - firstHalf) + " MB)");
            System.out.println("answers different from the CLI's: " + mismatches.size()
                    + (mismatches.isEmpty()
                            ? ""
                            : ", e.g. " + mismatches.entrySet().iterator().next()));
            return mismatches.isEmpty() && other5xx == 0 && flat;
        }
    }

    /** One request of kind {@code kind}; returns null when the answer equals the CLI's, else what differs. */
    private static String one(
            Http http,
            int kind,
            String img,
            byte[] png,
            Expected ex,
            Map<Integer, AtomicInteger> statuses,
            AtomicInteger deliberate503,
            AtomicInteger batched) {
        String path;
        Map<String, Object> fields = new HashMap<>();
        fields.put("image", png);
        String question = null;
        List<String> texts = null;
        switch (kind) {
            case 0 -> path = "/v1/caption";
            case 1 -> {
                path = "/v1/vqa";
                question = ex.answers().get(img).keySet().iterator().next();
                fields.put("question", question);
            }
            case 2, 3 -> {
                path = kind == 2 ? "/v1/itm" : "/v1/itc";
                texts = new ArrayList<>(ex.scores().get(img).keySet());
                fields.put("texts", texts);
            }
            default -> {
                path = "/v1/embeddings";
                fields.remove("image");
                fields.put("images", png);
            }
        }
        Http.Response r;
        while (true) {
            r = http.postForm(path, fields);
            statuses.computeIfAbsent(r.status(), s -> new AtomicInteger()).incrementAndGet();
            if (r.status() != 503) {
                break;
            }
            deliberate503.incrementAndGet();
            sleep(Integer.parseInt(r.header("Retry-After")) * 1000L);
        }
        if (r.status() != 200) {
            return path + ": HTTP " + r.status() + " " + r.text();
        }
        if (Integer.parseInt(r.header("X-Batch-Size")) > 1) {
            batched.incrementAndGet();
        }
        JsonNode j = r.json();
        switch (kind) {
            case 0 -> {
                return ex.captions().get(img).equals(j.get("caption").asText()) ? null : "caption " + j.get("caption");
            }
            case 1 -> {
                String a = ex.answers().get(img).get(question);
                return a.equals(j.get("answer").asText()) ? null : "answer " + j.get("answer") + " vs " + a;
            }
            case 2, 3 -> {
                for (int i = 0; i < texts.size(); i++) {
                    double e = ex.scores().get(img).get(texts.get(i))[kind - 2];
                    if (Math.abs(e - j.get("scores").get(i).asDouble()) > 1e-5) {
                        return path + " " + j.get("scores") + " vs " + e;
                    }
                }
                return null;
            }
            default -> {
                float[] e = ex.embeddings().get(img);
                float[] got = ApiTest.floats(j.get("image_embeddings").get(0));
                for (int i = 0; i < e.length; i++) {
                    if (Math.abs(e[i] - got[i]) > 1e-5) {
                        return "embedding[" + i + "] " + got[i] + " vs " + e[i];
                    }
                }
                return null;
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- the benchmark

    static void bench(Path dir, int[] clients, int total, int totalBase, List<String> models) throws Exception {
        List<byte[]> png = new ArrayList<>();
        for (Path f : images(dir)) {
            png.add(Files.readAllBytes(f));
        }
        System.out.printf(
                "| model | clients | requests | one at a time: req/s, p50 / p99 ms | batched (max 16): req/s, "
                        + "p50 / p99 ms | speed-up |%n|---|---|---|---|---|---|%n");
        for (String m : models) {
            String spec = m.equals("base") ? baseCaptioner().toString() : "shapes/caption";
            int n = m.equals("base") ? totalBase : total;
            Map<Integer, double[]> single = cells(spec, 1, clients, n, png);
            Map<Integer, double[]> batched = cells(spec, 16, clients, n, png);
            for (int c : clients) {
                double[] a = single.get(c);
                double[] b = batched.get(c);
                System.out.printf(
                        Locale.ROOT,
                        "| %s | %d | %d | %.2f, %.0f / %.0f | %.2f, %.0f / %.0f | %.1f× |%n",
                        m,
                        c,
                        Math.max(n, c),
                        a[0],
                        a[1],
                        a[2],
                        b[0],
                        b[1],
                        b[2],
                        b[0] / a[0]);
            }
        }
    }

    /** Throughput, p50 and p99 latency (ms) of captioning at each client count, for one max batch size. */
    private static Map<Integer, double[]> cells(String spec, int maxBatch, int[] clients, int total, List<byte[]> png)
            throws Exception {
        ServerConfig cfg = ServerConfig.defaults()
                .withPort(0)
                .withModels(List.of(new ServerConfig.ModelSpec("captioner", spec)))
                .withBatching(ServerConfig.Batching.defaults()
                        .withMaxBatch(maxBatch)
                        .withQueueCapacity(1024)
                        .withDeadline(Duration.ofHours(1)));
        Map<Integer, double[]> out = new TreeMap<>();
        try (BlipServer server = BlipServer.start(cfg)) {
            Http http = new Http(server);
            for (int i = 0; i < 2; i++) { // warm-up
                http.postForm("/v1/caption", Map.of("image", png.get(i)));
            }
            for (int c : clients) {
                int n = Math.max(total, c);
                long[] latency = new long[n];
                AtomicInteger next = new AtomicInteger();
                AtomicLong failures = new AtomicLong();
                CountDownLatch finished = new CountDownLatch(c);
                long t0 = System.nanoTime();
                for (int k = 0; k < c; k++) {
                    Http.CLIENTS.execute(() -> {
                        try {
                            for (int i; (i = next.getAndIncrement()) < n; ) {
                                long s = System.nanoTime();
                                if (http.postForm("/v1/caption", Map.of("image", png.get(i % png.size())))
                                                .status()
                                        != 200) {
                                    failures.incrementAndGet();
                                }
                                latency[i] = System.nanoTime() - s;
                            }
                        } finally {
                            finished.countDown();
                        }
                    });
                }
                finished.await(6, TimeUnit.HOURS);
                double secs = (System.nanoTime() - t0) / 1e9;
                Arrays.sort(latency);
                out.put(c, new double[] {
                    n / secs, latency[n / 2] / 1e6, latency[Math.min(n - 1, (int) (n * 0.99))] / 1e6
                });
                System.err.printf(
                        Locale.ROOT,
                        "[bench] %s max batch %d, %d clients: %.2f req/s (%d failed)%n",
                        spec,
                        maxBatch,
                        c,
                        n / secs,
                        failures.get());
            }
        }
        return out;
    }

    /** A base-size captioner (ViT-B/16@384 + BERT-base) with BLIP's random initialisation, written once to /tmp. */
    static Path baseCaptioner() throws Exception {
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "blip4j-serve-bench-base");
        if (Files.isRegularFile(dir.resolve("model.safetensors"))) {
            return dir;
        }
        Files.createDirectories(dir);
        BlipConfig c = BlipConfig.base(384);
        BlipDecoder model = new BlipDecoder(c);
        org.blip4j.train.Init.blip(model, 1, 0.02);
        Map<String, RawTensor> w = new TreeMap<>();
        model.namedTensors().forEach((k, v) -> w.put(k, T.toRaw(v)));
        SafeTensors.write(dir.resolve("model.safetensors"), w, Map.of("format", "pt"));
        List<String> vocab = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
        for (char ch = 'a'; ch <= 'z'; ch++) {
            vocab.add(String.valueOf(ch));
        }
        while (vocab.size() < c.text().vocabSize() - 2) { // [DEC] and [ENC] come after the vocabulary
            vocab.add("w" + vocab.size());
        }
        Files.write(dir.resolve("vocab.txt"), vocab);
        c.writeHf(dir.resolve("config.json"), "BlipForConditionalGeneration", vocab.size(), 3);
        return dir;
    }
}

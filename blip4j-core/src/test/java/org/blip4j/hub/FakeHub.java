package org.blip4j.hub;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for the Hugging Face hub on 127.0.0.1: model info API, {@code /resolve/} with hub-style ETag headers,
 * LFS files redirected to a CDN path (on this server, or on a second server on another port), Range support, and knobs
 * to drop connections, ignore Range or lie about checksums.
 */
final class FakeHub implements AutoCloseable {
    static final String REPO = "acme/blip-tiny";
    static final String COMMIT = "3f2a9c1b7e6d5a4f3e2d1c0b9a8f7e6d5c4b3a29";

    /** One logged request: method, path, Range and Authorization headers, and which server answered. */
    record Request(String method, String path, String range, String auth, boolean cdn) {}

    private final Map<String, byte[]> files = new LinkedHashMap<>();
    private final Set<String> lfs;
    private final HttpServer server;
    private final HttpServer cdnServer;
    private final ExecutorService pool = Executors.newFixedThreadPool(4);
    private final List<Request> log = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger requests = new AtomicInteger();

    /** Drop the connection after this many body bytes of an LFS download, this many times (then serve normally). */
    volatile long abortAfter = -1;

    volatile int abortTimes;
    /** Answer 200 with the whole file even when a Range is asked. */
    volatile boolean ignoreRange;
    /** Etag to announce instead of the true one, per file. */
    final Map<String, String> lies = new java.util.concurrent.ConcurrentHashMap<>();

    FakeHub(Map<String, byte[]> content, Set<String> lfsFiles, boolean separateCdn) throws IOException {
        files.putAll(content);
        lfs = Set.copyOf(lfsFiles);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> handle(ex, false));
        server.setExecutor(pool);
        server.start();
        if (separateCdn) {
            cdnServer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            cdnServer.createContext("/", ex -> handle(ex, true));
            cdnServer.setExecutor(pool);
            cdnServer.start();
        } else {
            cdnServer = null;
        }
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    List<Request> log() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    byte[] file(String name) {
        return files.get(name);
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String gitSha1(byte[] b) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-1");
            md.update(("blob " + b.length + "\0").getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(md.digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final Pattern API = Pattern.compile("/api/models/([^/]+/[^/]+)/revision/([^/]+)");
    private static final Pattern RESOLVE = Pattern.compile("/([^/]+/[^/]+)/resolve/([^/]+)/(.+)");
    private static final Pattern CDN = Pattern.compile("/cdn/lfs/([0-9a-f]{64})");
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

    private void handle(HttpExchange ex, boolean onCdnServer) throws IOException {
        requests.incrementAndGet();
        String path = ex.getRequestURI().getRawPath();
        Headers in = ex.getRequestHeaders();
        log.add(new Request(
                ex.getRequestMethod(), path, in.getFirst("Range"), in.getFirst("Authorization"), onCdnServer));
        try (ex) {
            Matcher m;
            if (!onCdnServer && (m = API.matcher(path)).matches()) {
                api(ex, m.group(1), URLDecoder.decode(m.group(2), StandardCharsets.UTF_8));
            } else if (!onCdnServer && (m = RESOLVE.matcher(path)).matches()) {
                resolve(
                        ex,
                        m.group(1),
                        URLDecoder.decode(m.group(2), StandardCharsets.UTF_8),
                        URLDecoder.decode(m.group(3), StandardCharsets.UTF_8));
            } else if ((m = CDN.matcher(path)).matches() && (cdnServer == null || onCdnServer)) {
                cdn(ex, m.group(1));
            } else {
                send(ex, 404, new byte[0]);
            }
        } catch (IOException e) {
            // a deliberately dropped connection ends here
        }
    }

    private void api(HttpExchange ex, String repo, String revision) throws IOException {
        if (!repo.equals(REPO)) {
            ex.getResponseHeaders().set("X-Error-Code", "RepoNotFound");
            send(ex, 401, "{\"error\":\"Repository not found\"}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (!revision.equals("main") && !revision.equals(COMMIT)) {
            ex.getResponseHeaders().set("X-Error-Code", "RevisionNotFound");
            send(ex, 404, "{\"error\":\"Invalid rev id\"}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        StringBuilder json = new StringBuilder("{\"id\":\"" + REPO + "\",\"sha\":\"" + COMMIT + "\",\"siblings\":[");
        int i = 0;
        for (String name : files.keySet()) {
            json.append(i++ > 0 ? "," : "")
                    .append("{\"rfilename\":\"")
                    .append(name)
                    .append("\"}");
        }
        json.append("]}");
        ex.getResponseHeaders().set("Content-Type", "application/json");
        send(ex, 200, json.toString().getBytes(StandardCharsets.UTF_8));
    }

    private void resolve(HttpExchange ex, String repo, String revision, String name) throws IOException {
        byte[] body = files.get(name);
        Headers h = ex.getResponseHeaders();
        if (!repo.equals(REPO) || (!revision.equals("main") && !revision.equals(COMMIT)) || body == null) {
            h.set("X-Error-Code", "EntryNotFound");
            send(ex, 404, new byte[0]);
            return;
        }
        h.set("X-Repo-Commit", COMMIT);
        if (lfs.contains(name)) {
            String sha = sha256(body);
            h.set("X-Linked-Etag", "\"" + lies.getOrDefault(name, sha) + "\"");
            h.set("X-Linked-Size", Long.toString(body.length));
            h.set(
                    "ETag",
                    "\""
                            + gitSha1(("version https://git-lfs.github.com/spec/v1\noid sha256:" + sha)
                                    .getBytes(StandardCharsets.UTF_8))
                            + "\"");
            String cdn = "/cdn/lfs/" + sha;
            h.set(
                    "Location",
                    cdnServer == null
                            ? cdn
                            : "http://127.0.0.1:" + cdnServer.getAddress().getPort() + cdn);
            ex.sendResponseHeaders(302, -1);
            return;
        }
        h.set("ETag", "\"" + lies.getOrDefault(name, gitSha1(body)) + "\"");
        send(ex, 200, body);
    }

    private void cdn(HttpExchange ex, String sha) throws IOException {
        byte[] body = files.entrySet().stream()
                .filter(e -> lfs.contains(e.getKey()) && sha256(e.getValue()).equals(sha))
                .map(Map.Entry::getValue)
                .findFirst()
                .orElse(null);
        if (body == null) {
            send(ex, 404, new byte[0]);
            return;
        }
        Headers h = ex.getResponseHeaders();
        h.set("ETag", "\"cdn-" + sha.substring(0, 8) + "\""); // a CDN's own etag, not the checksum
        h.set("Accept-Ranges", "bytes");
        int start = 0;
        int code = 200;
        String range = ex.getRequestHeaders().getFirst("Range");
        Matcher m = range == null ? null : RANGE.matcher(range);
        if (m != null && m.matches() && !ignoreRange) {
            start = Integer.parseInt(m.group(1));
            if (start >= body.length) {
                h.set("Content-Range", "bytes */" + body.length);
                ex.sendResponseHeaders(416, -1);
                return;
            }
            code = 206;
            h.set("Content-Range", "bytes " + start + "-" + (body.length - 1) + "/" + body.length);
        }
        int length = body.length - start;
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(code, -1);
            return;
        }
        ex.sendResponseHeaders(code, length);
        OutputStream out = ex.getResponseBody();
        if (abortTimes > 0 && abortAfter >= 0 && abortAfter < length) {
            abortTimes--;
            out.write(body, start, (int) abortAfter);
            out.flush();
            throw new IOException("dropping the connection on purpose"); // closing short of the length drops it
        }
        out.write(body, start, length);
    }

    private static void send(HttpExchange ex, int code, byte[] body) throws IOException {
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
            ex.sendResponseHeaders(code, -1);
            return;
        }
        ex.sendResponseHeaders(code, body.length == 0 ? -1 : body.length);
        ex.getResponseBody().write(body);
    }

    @Override
    public void close() {
        server.stop(0);
        if (cdnServer != null) {
            cdnServer.stop(0);
        }
        pool.shutdownNow();
    }
}

package org.blip4j.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The few hub HTTP calls a model download needs: repository info, file metadata ({@code HEAD} on {@code /resolve/}),
 * and resumable, checksum-verified file transfer; hand-written on {@link HttpURLConnection} because no maintained JVM
 * Hugging Face hub client exists.
 *
 * <p>Verification: an etag of 64 hex digits (the hub's {@code X-Linked-Etag} of LFS files) is checked as the file's
 * SHA-256; one of 40 hex digits (the {@code ETag} of plain git files) is checked as git's blob SHA-1 ({@code
 * "blob <size>\0"} + content); any other etag is not verified.
 */
final class HubClient {
    private static final Logger LOG = LoggerFactory.getLogger(HubClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CONNECT_TIMEOUT_MS = 10_000;
    private static final int READ_TIMEOUT_MS = 60_000;
    private static final int MAX_REDIRECTS = 10;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final String USER_AGENT =
            "blip4j/" + version() + "; java/" + Runtime.version().feature();

    /** What {@code /api/models/{id}/revision/{rev}} says: the commit and the repository's file names. */
    record RepoInfo(String sha, List<String> files) {}

    /** What {@code HEAD /resolve/} says about one file; etag normalised (no {@code W/}, no quotes), size -1 if unknown. */
    record FileMeta(String etag, long size, String commit) {}

    private final HubSettings settings;
    private final int attempts;
    private final Duration backoff;

    HubClient(HubSettings settings) {
        this(settings, 3, Duration.ofSeconds(1));
    }

    /** A client that tries an interrupted transfer {@code attempts} times, waiting {@code backoff × n} in between. */
    HubClient(HubSettings settings, int attempts, Duration backoff) {
        this.settings = Objects.requireNonNull(settings);
        this.attempts = Math.max(1, attempts);
        this.backoff = backoff;
    }

    // ---------------------------------------------------------------- repository info

    RepoInfo repoInfo(HubId id) throws IOException {
        URI uri = URI.create(settings.endpoint() + "/api/models/" + id.repo() + "/revision/" + seg(id.revision()));
        HttpURLConnection c = follow("GET", uri, -1, true);
        int code = c.getResponseCode();
        if (code != 200) {
            throw httpError(c, code, id, null);
        }
        JsonNode root;
        try (InputStream in = c.getInputStream()) {
            root = JSON.readTree(in);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new HubException(
                    uri + " did not answer with model info JSON (" + e.getOriginalMessage()
                            + "); is HF_ENDPOINT a Hugging Face hub?",
                    e);
        }
        String sha = root.path("sha").asText(null);
        if (!HubId.isCommitHash(sha)) {
            throw new HubException(uri + " gave no commit hash (\"sha\") for " + id);
        }
        List<String> files = new ArrayList<>();
        for (JsonNode s : root.path("siblings")) {
            String name = s.path("rfilename").asText(null);
            if (name != null) {
                files.add(name);
            }
        }
        return new RepoInfo(sha, files);
    }

    // ---------------------------------------------------------------- file metadata

    /** {@code HEAD} of a file at a commit, following only same-host redirects (a renamed repository), not the CDN's. */
    FileMeta head(HubId id, String commit, String file) throws IOException {
        URI uri = fileUri(id, commit, file);
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpURLConnection c = open("HEAD", uri, -1);
            int code = c.getResponseCode();
            String location = c.getHeaderField("Location");
            if (isRedirect(code)
                    && location != null
                    && URI.create(location).getHost() == null
                    && c.getHeaderField("X-Linked-Etag") == null) {
                uri = uri.resolve(location);
                c.disconnect();
                continue;
            }
            if (code >= 400) {
                throw httpError(c, code, id, file);
            }
            String etag = normalizeEtag(c.getHeaderField("X-Linked-Etag"));
            if (etag == null) {
                etag = normalizeEtag(c.getHeaderField("ETag"));
            }
            long size = parseLong(c.getHeaderField("X-Linked-Size"));
            if (size < 0 && code / 100 == 2) {
                long length = parseLong(c.getHeaderField("Content-Length"));
                size = length > 0 ? length : -1; // some servers answer HEAD with "Content-Length: 0": treat as unknown
            }
            String repoCommit = c.getHeaderField("X-Repo-Commit");
            c.disconnect();
            return new FileMeta(etag, size, repoCommit != null ? repoCommit.trim() : commit);
        }
        throw new HubException("too many redirects for " + uri);
    }

    // ---------------------------------------------------------------- transfer

    /**
     * Downloads a file into {@code incomplete}, resuming what is already there, retrying interrupted transfers, and
     * verifies it against the etag; returns its SHA-256 when it was computed (the etag is one), else null. On a checksum
     * mismatch the partial file is deleted (after one fresh retry if the bad bytes may come from an earlier, resumed
     * attempt).
     */
    String download(HubId id, String commit, String file, FileMeta meta, Path incomplete, DownloadListener listener)
            throws IOException {
        URI uri = fileUri(id, commit, file);
        boolean cleanRetryDone = false;
        IOException last = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            boolean resumed;
            try {
                resumed = transfer(id, file, uri, meta, incomplete, listener);
            } catch (HubException e) {
                throw e;
            } catch (IOException e) {
                last = e;
                if (unreachable(e) && attempt == 1 && Files.notExists(incomplete)) {
                    throw e; // the caller turns this into the "offline" message
                }
                if (attempt < attempts) {
                    LOG.warn(
                            "download of {} interrupted ({}); resuming (attempt {} of {})",
                            file,
                            e.toString(),
                            attempt + 1,
                            attempts);
                    sleep(backoff.multipliedBy(attempt));
                }
                continue;
            }
            Checksums.Result check = Checksums.verify(incomplete, meta.etag());
            if (check.ok()) {
                if (!Checksums.usable(meta.etag())) { // not silent: the cache now holds a file nothing vouches for
                    LOG.warn(
                            "{} of {} (commit {}) was stored without a checksum check: the hub sent {} instead of a SHA-256 "
                                    + "or git SHA-1 etag",
                            file,
                            id,
                            commit,
                            meta.etag() == null ? "no etag" : "etag '" + meta.etag() + "'");
                }
                return check.sha256();
            }
            Files.deleteIfExists(incomplete);
            if (resumed && !cleanRetryDone) {
                LOG.warn("{} of {}: {}; downloading it again from the start", file, id, check.problem());
                cleanRetryDone = true;
                attempt--; // a fresh try does not count against the interruption budget
                continue;
            }
            throw new HubException("checksum mismatch for " + file + " of " + id + " (commit " + commit + "): "
                    + check.problem() + "; the download was deleted, nothing was added to the cache. Run again; if it "
                    + "persists, the server or a proxy is altering the file");
        }
        long have = Files.isRegularFile(incomplete) ? Files.size(incomplete) : 0;
        throw new HubException(
                "download of " + file + " of " + id + " failed after " + attempts + " attempts ("
                        + (last == null
                                ? "unknown error"
                                : last.getMessage() == null ? last.toString() : last.getMessage())
                        + "); "
                        + have + " bytes are kept in " + incomplete + " and the next run resumes from there",
                last);
    }

    /** One GET into {@code incomplete}; returns whether it continued earlier bytes (HTTP 206). */
    private boolean transfer(HubId id, String file, URI uri, FileMeta meta, Path incomplete, DownloadListener listener)
            throws IOException {
        Files.createDirectories(incomplete.getParent());
        long have = Files.isRegularFile(incomplete) ? Files.size(incomplete) : 0;
        if (meta.size() >= 0 && have > meta.size()) {
            Files.delete(incomplete);
            have = 0;
        }
        HttpURLConnection c = follow("GET", uri, have > 0 ? have : -1, false);
        int code = c.getResponseCode();
        long start;
        if (code == 206) {
            Matcher m = CONTENT_RANGE.matcher(String.valueOf(c.getHeaderField("Content-Range")));
            start = m.matches() ? Long.parseLong(m.group(1)) : -1;
            if (start != have) {
                c.disconnect();
                Files.deleteIfExists(incomplete);
                throw new IOException("server resumed " + file + " at byte " + start + " instead of " + have);
            }
        } else if (code == 200) {
            if (have > 0) {
                LOG.debug("server ignored the range request for {}; downloading it from the start", file);
            }
            start = 0;
        } else if (code == 416) {
            c.disconnect();
            if (meta.size() >= 0 && have == meta.size()) {
                return true; // everything was already there
            }
            Files.deleteIfExists(incomplete);
            throw new IOException("server refused to resume " + file + " at byte " + have);
        } else if (code >= 500 || code == 429 || code == 408) {
            c.disconnect();
            throw new IOException("HTTP " + code + " from " + uri.getHost() + " for " + file);
        } else {
            throw httpError(c, code, id, file);
        }
        long length = c.getContentLengthLong();
        long end = length >= 0 ? start + length : -1;
        long total = meta.size() >= 0 ? meta.size() : end;
        long done = start;
        listener.progress(file, done, total);
        try (InputStream in = c.getInputStream();
                FileChannel out = FileChannel.open(incomplete, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            out.truncate(start);
            out.position(start);
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) >= 0; ) {
                ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                while (bb.hasRemaining()) {
                    out.write(bb);
                }
                done += n;
                listener.progress(file, done, total);
            }
            out.force(true);
        }
        if (end >= 0 && done != end) {
            throw new IOException("connection closed after " + done + " of " + end + " bytes of " + file);
        }
        if (meta.size() >= 0 && done < meta.size()) {
            throw new IOException("connection closed after " + done + " of " + meta.size() + " bytes of " + file);
        }
        if (meta.size() >= 0 && done > meta.size()) {
            Files.deleteIfExists(incomplete);
            throw new HubException(file + " of " + id + ": received " + done + " bytes, the hub announced "
                    + meta.size() + "; the download was deleted");
        }
        return start > 0;
    }

    // ---------------------------------------------------------------- HTTP plumbing

    private URI fileUri(HubId id, String commit, String file) {
        StringBuilder path = new StringBuilder();
        for (String part : file.split("/")) {
            path.append('/').append(seg(part));
        }
        return URI.create(settings.endpoint() + "/" + id.repo() + "/resolve/" + seg(commit) + path);
    }

    /** Follows redirects by hand: the token goes to the hub's own host only, never to a CDN. */
    private HttpURLConnection follow(String method, URI uri, long from, boolean json) throws IOException {
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpURLConnection c = open(method, uri, from);
            if (json) {
                c.setRequestProperty("Accept", "application/json");
            }
            int code = c.getResponseCode();
            String location = c.getHeaderField("Location");
            if (!isRedirect(code) || location == null) {
                return c;
            }
            c.disconnect();
            uri = uri.resolve(location.trim());
        }
        throw new HubException("too many redirects for " + uri);
    }

    private HttpURLConnection open(String method, URI uri, long from) throws IOException {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new HubException("refusing to follow a redirect to " + uri);
        }
        HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
        c.setInstanceFollowRedirects(false);
        c.setConnectTimeout(CONNECT_TIMEOUT_MS);
        c.setReadTimeout(READ_TIMEOUT_MS);
        c.setRequestMethod(method);
        c.setUseCaches(false);
        c.setRequestProperty("User-Agent", USER_AGENT);
        c.setRequestProperty("Accept-Encoding", "identity");
        if (from > 0) {
            c.setRequestProperty("Range", "bytes=" + from + "-");
        }
        if (settings.token() != null && sameOrigin(uri, settings.endpoint())) {
            c.setRequestProperty("Authorization", "Bearer " + settings.token());
        }
        return c;
    }

    private static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(lower(a.getScheme()), lower(b.getScheme()))
                && Objects.equals(lower(a.getHost()), lower(b.getHost()))
                && port(a) == port(b);
    }

    private static String lower(String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    private static boolean isRedirect(int code) {
        return code == 301 || code == 302 || code == 303 || code == 307 || code == 308;
    }

    /** The hub's error headers ({@code X-Error-Code}, {@code X-Error-Message}) turned into a sentence. */
    private HubException httpError(HttpURLConnection c, int code, HubId id, String file) {
        String kind = String.valueOf(c.getHeaderField("X-Error-Code"));
        String detail = c.getHeaderField("X-Error-Message");
        c.disconnect();
        String hub = settings.endpoint().toString();
        String tokenHint =
                settings.token() == null ? "set HF_TOKEN to a token with access" : "check that HF_TOKEN has access";
        if (kind.equals("GatedRepo") || (code == 403 && file != null)) {
            return new HubException(id.repo() + " is a gated model: accept its conditions on " + hub + "/" + id.repo()
                    + " and " + tokenHint + " (HTTP " + code + ")");
        }
        if (kind.equals("RevisionNotFound")) {
            return new HubException(
                    id.repo() + " has no revision '" + id.revision() + "' on " + hub + " (HTTP " + code + ")");
        }
        if (kind.equals("EntryNotFound") || (code == 404 && file != null)) {
            return new HubException(id + ": file " + file + " not found on " + hub + " (HTTP " + code + ")");
        }
        if (code == 401 || code == 404 || kind.equals("RepoNotFound")) {
            return new HubException(id.repo() + " is not a model on " + hub + ", or it is private (" + tokenHint
                    + "); no local folder of that name exists either (HTTP " + code + ")");
        }
        if (code == 403) {
            return new HubException("access to " + id.repo() + " on " + hub + " was refused; " + tokenHint
                    + " (HTTP 403" + (detail != null ? ": " + detail : "") + ")");
        }
        return new HubException("HTTP " + code + " from " + hub + " for " + id + (file != null ? " " + file : "")
                + (detail != null ? ": " + detail : ""));
    }

    /** Whether an exception means the hub cannot be reached at all (no network, no DNS, nothing listening). */
    static boolean unreachable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException
                    || t instanceof UnknownHostException
                    || t instanceof NoRouteToHostException
                    || (t instanceof SocketTimeoutException
                            && String.valueOf(t.getMessage()).contains("connect"))) {
                return true;
            }
        }
        return false;
    }

    /** A network failure in a few words: "unknown host huggingface.co", "Connection refused". */
    static String describe(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UnknownHostException) {
                return "unknown host " + t.getMessage();
            }
            if (unreachable(t) && t.getMessage() != null) {
                return t.getMessage();
            }
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    /** Drops a weak-validator prefix and the quotes: {@code W/"abc"} → {@code abc}. */
    static String normalizeEtag(String etag) {
        if (etag == null) {
            return null;
        }
        String e = etag.trim();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
            e = e.substring(1, e.length() - 1);
        }
        return e.isEmpty() ? null : e;
    }

    /** Percent-encodes one URL path segment (everything but unreserved characters). */
    static String seg(String s) {
        StringBuilder b = new StringBuilder();
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            int ch = x & 0xff;
            if ((ch >= 'a' && ch <= 'z')
                    || (ch >= 'A' && ch <= 'Z')
                    || (ch >= '0' && ch <= '9')
                    || ch == '-'
                    || ch == '.'
                    || ch == '_'
                    || ch == '~') {
                b.append((char) ch);
            } else {
                b.append('%')
                        .append(Character.toUpperCase(Character.forDigit(ch >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(ch & 15, 16)));
            }
        }
        return b.toString();
    }

    private static long parseLong(String s) {
        try {
            return s == null ? -1 : Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void sleep(Duration d) throws IOException {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting to retry a download");
        }
    }

    private static String version() {
        String v = HubClient.class.getPackage() == null
                ? null
                : HubClient.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}

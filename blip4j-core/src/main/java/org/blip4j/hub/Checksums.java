package org.blip4j.hub;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Checks a downloaded file against the hub's etag: SHA-256 for LFS files, git's blob SHA-1 for plain git files. */
final class Checksums {
    private static final Pattern SHA256 = Pattern.compile("(?i)[0-9a-f]{64}");
    private static final Pattern SHA1 = Pattern.compile("(?i)[0-9a-f]{40}");

    private Checksums() {}

    /** The outcome: ok (or nothing to check), the SHA-256 when computed, or what did not match. */
    record Result(boolean ok, String sha256, String problem) {}

    static Result verify(Path file, String etag) throws IOException {
        if (etag != null && SHA256.matcher(etag).matches()) {
            String got = sha256(file);
            return got.equalsIgnoreCase(etag)
                    ? new Result(true, got, null)
                    : new Result(false, got, "expected SHA-256 " + etag.toLowerCase() + ", got " + got);
        }
        if (etag != null && SHA1.matcher(etag).matches()) {
            String got = gitBlobSha1(file);
            return got.equalsIgnoreCase(etag)
                    ? new Result(true, null, null)
                    : new Result(false, null, "expected git blob SHA-1 " + etag.toLowerCase() + ", got " + got);
        }
        return new Result(true, null, null);
    }

    /** Whether an etag is a checksum {@link #verify} can check (SHA-256 of an LFS file, git blob SHA-1). */
    static boolean usable(String etag) {
        return etag != null
                && (SHA256.matcher(etag).matches() || SHA1.matcher(etag).matches());
    }

    static boolean isSha256(String s) {
        return s != null && SHA256.matcher(s).matches();
    }

    static String sha256(Path file) throws IOException {
        MessageDigest md = digest("SHA-256");
        update(md, file);
        return HexFormat.of().formatHex(md.digest());
    }

    /** {@code git hash-object}: SHA-1 of {@code "blob <size>\0"} followed by the content. */
    static String gitBlobSha1(Path file) throws IOException {
        MessageDigest md = digest("SHA-1");
        md.update(("blob " + Files.size(file) + "\0").getBytes(StandardCharsets.US_ASCII));
        update(md, file);
        return HexFormat.of().formatHex(md.digest());
    }

    static String sha256(byte[] data) {
        return HexFormat.of().formatHex(digest("SHA-256").digest(data));
    }

    private static void update(MessageDigest md, Path file) throws IOException {
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) >= 0; ) {
                md.update(buf, 0, n);
            }
        }
    }

    private static MessageDigest digest(String alg) {
        try {
            return MessageDigest.getInstance(alg);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(alg + " unavailable", e);
        }
    }
}

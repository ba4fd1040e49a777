package org.blip4j.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * A JSON Lines metric log like the {@code log.txt} BLIP's training scripts append to (one JSON object per line,
 * e.g. {@code {"epoch": 0, "val_txt_r1": 81.9, ...}}); written with Jackson, so separators are compact and
 * non-finite numbers become strings, unlike Python's {@code json.dumps}.
 */
public final class MetricsLog {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final Path path;

    /** A log appending to {@code path} (created with its parent directories on the first append). */
    public MetricsLog(Path path) {
        this.path = path;
    }

    public Path path() {
        return path;
    }

    /** Appends {@code record} as one JSON line; map order is kept. */
    public synchronized void append(Map<String, ?> record) {
        try {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            String line = MAPPER.writeValueAsString(record) + "\n";
            Files.writeString(path, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + path, e);
        }
    }

    /** {@code record} with every key prefixed, as BLIP's {@code {f'val_{k}': v ...}}. */
    public static Map<String, Object> prefixed(String prefix, Map<String, ?> record) {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        record.forEach((k, v) -> out.put(prefix + k, v));
        return out;
    }
}

package org.blip4j.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Streams the entries of an annotation file, the counterpart of the reference's {@code json.load(open(f))}: either one
 * JSON array of objects, or JSON Lines (one object per line; blank lines ignored). Files named {@code *.jsonl} or
 * {@code *.ndjson}, or whose first non-blank character is not {@code [}, are read as JSON Lines. Entries are parsed one
 * at a time, so a multi-gigabyte pre-training list never exists as one JSON tree.
 */
final class AnnotationFile {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AnnotationFile() {}

    /** Receives one entry; may throw {@link AnnotationException} via {@link Entry#error}. */
    @FunctionalInterface
    interface EntryHandler {
        void accept(Entry entry) throws IOException;
    }

    /** What is being read: a local file, or a stream named for messages only ({@code file} null). */
    record Source(Path file, String name) {
        AnnotationException error(int index, int line, String problem) {
            return file != null
                    ? new AnnotationException(file, index, line, problem)
                    : new AnnotationException(name, index, line, problem, null);
        }

        AnnotationException error(String problem, Throwable cause) {
            return file != null
                    ? new AnnotationException(file, problem, cause)
                    : new AnnotationException(name, -1, -1, problem, cause);
        }
    }

    /** One object of the file, with typed accessors whose errors name the file, the index and the key. */
    record Entry(Source source, int index, int line, JsonNode node) {
        AnnotationException error(String problem) {
            return source.error(index, line, problem);
        }

        /** A required string value. */
        String string(String key) throws AnnotationException {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) {
                throw error("missing key '" + key + "'");
            }
            if (!v.isTextual()) {
                throw error("'" + key + "' must be a string, got " + kind(v));
            }
            return v.textValue();
        }

        /** A required value that is a string or a non-empty list of strings; a string gives a one-element list. */
        List<String> stringOrList(String key) throws AnnotationException {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) {
                throw error("missing key '" + key + "'");
            }
            if (v.isTextual()) {
                return List.of(v.textValue());
            }
            if (!v.isArray()) {
                throw error("'" + key + "' must be a string or a list of strings, got " + kind(v));
            }
            return stringList(key, v, 1);
        }

        /** A required list of strings with at least {@code minSize} elements. */
        List<String> stringList(String key, int minSize) throws AnnotationException {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) {
                throw error("missing key '" + key + "'");
            }
            if (!v.isArray()) {
                throw error("'" + key + "' must be a list of strings, got " + kind(v));
            }
            return stringList(key, v, minSize);
        }

        private List<String> stringList(String key, JsonNode v, int minSize) throws AnnotationException {
            if (v.size() < minSize) {
                throw error("'" + key + "' needs at least " + minSize + " element(s), got " + v.size());
            }
            List<String> out = new ArrayList<>(v.size());
            for (int i = 0; i < v.size(); i++) {
                if (!v.get(i).isTextual()) {
                    throw error("'" + key + "'[" + i + "] must be a string, got " + kind(v.get(i)));
                }
                out.add(v.get(i).textValue());
            }
            return List.copyOf(out);
        }

        /** An optional value, or null when absent or JSON null. */
        JsonNode optional(String key) {
            JsonNode v = node.get(key);
            return v == null || v.isNull() ? null : v;
        }
    }

    static String kind(JsonNode v) {
        return v.isTextual()
                ? "a string"
                : v.isArray()
                        ? "a list"
                        : v.isObject()
                                ? "an object"
                                : v.isNumber()
                                        ? "a number"
                                        : v.isBoolean()
                                                ? "a boolean"
                                                : v.getNodeType().toString().toLowerCase(Locale.ROOT);
    }

    /** Calls {@code handler} for every entry, in file order. */
    static void read(Path file, EntryHandler handler) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new AnnotationException(file, -1, -1, Files.exists(file) ? "not a regular file" : "file not found");
        }
        try (InputStream raw = Files.newInputStream(file)) {
            read(raw, new Source(file, file.toString()), handler);
        } catch (NoSuchFileException e) {
            throw new AnnotationException(file, -1, -1, "file not found");
        }
    }

    /**
     * Calls {@code handler} for every entry of an open stream (the caller closes it), in order; {@code name} labels
     * errors and, by its extension, may select JSON Lines as for files.
     */
    static void read(InputStream raw, String name, EntryHandler handler) throws IOException {
        read(raw, new Source(null, name), handler);
    }

    private static void read(InputStream raw, Source source, EntryHandler handler) throws IOException {
        PushbackInputStream in = new PushbackInputStream(raw, 4);
        int first = firstNonBlank(in);
        String name = source.name().toLowerCase(Locale.ROOT);
        boolean lines = name.endsWith(".jsonl") || name.endsWith(".ndjson") || first != '[';
        if (first == -1) {
            return; // an empty file holds no entries
        }
        if (lines) {
            readLines(source, in, handler);
        } else {
            readArray(source, in, handler);
        }
    }

    private static int firstNonBlank(PushbackInputStream in) throws IOException {
        int c = in.read();
        if (c == 0xEF) { // UTF-8 byte-order mark
            in.read();
            in.read();
            c = in.read();
        }
        while (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            c = in.read();
        }
        if (c != -1) {
            in.unread(c);
        }
        return c;
    }

    private static void readArray(Source file, InputStream in, EntryHandler handler) throws IOException {
        try (JsonParser p = JSON.getFactory().createParser(in)) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                throw file.error(-1, -1, "expected a JSON array of objects");
            }
            int index = 0;
            for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken(), index++) {
                if (t == null) {
                    throw file.error(-1, -1, "unexpected end of file after " + index + " entries");
                }
                JsonNode node = p.readValueAsTree();
                if (node == null || !node.isObject()) {
                    throw file.error(index, -1, "expected an object, got " + (node == null ? "nothing" : kind(node)));
                }
                handler.accept(new Entry(file, index, -1, node));
            }
        } catch (JsonProcessingException e) {
            throw file.error(
                    "invalid JSON: " + e.getOriginalMessage() + " at line "
                            + e.getLocation().getLineNr() + ", column "
                            + e.getLocation().getColumnNr(),
                    e);
        }
    }

    private static void readLines(Source file, InputStream in, EntryHandler handler) throws IOException {
        BufferedReader r = new BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
        int index = 0;
        int lineNo = 0;
        for (String line; (line = r.readLine()) != null; ) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                throw file.error(index, lineNo, "invalid JSON: " + e.getOriginalMessage());
            }
            if (node == null || !node.isObject()) {
                throw file.error(
                        index,
                        lineNo,
                        "expected one JSON object per line, got " + (node == null ? "nothing" : kind(node)));
            }
            handler.accept(new Entry(file, index++, lineNo, node));
        }
    }
}

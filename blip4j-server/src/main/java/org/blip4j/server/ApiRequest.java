package org.blip4j.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.Part;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.blip4j.image.ImageDecodeException;
import org.blip4j.image.ImageLoader;
import org.blip4j.image.RgbImage;

/**
 * A request's parameters, from a JSON body (images as base64 strings or data URLs) or a multipart form (images as
 * file parts, lists as repeated fields), read the same way and checked against the limits. Every problem is a 400
 * naming the field.
 */
final class ApiRequest {
    private final ObjectNode json;
    private final Map<String, List<String>> form;
    private final Map<String, List<UploadedFile>> files;
    private final ServerConfig.Limits limits;
    private final ImageLoader loader;

    private ApiRequest(
            ObjectNode json,
            Map<String, List<String>> form,
            Map<String, List<UploadedFile>> files,
            ServerConfig.Limits limits,
            ImageLoader loader) {
        this.json = json;
        this.form = form;
        this.files = files;
        this.limits = limits;
        this.loader = loader;
    }

    /** Reads the request body (JSON or multipart/form-data); anything else is a 400 (415 for other types). */
    static ApiRequest read(Context ctx, ServerConfig.Limits limits, ImageLoader loader, ObjectMapper mapper) {
        long declared = ctx.req().getContentLengthLong();
        if (declared > limits.maxRequestBytes()) { // refused before parsing; chunked bodies below
            drain(ctx, declared);
            throw tooLarge(limits);
        }
        String type = ctx.contentType() == null ? "" : ctx.contentType().toLowerCase(java.util.Locale.ROOT);
        if (type.startsWith("multipart/form-data")) {
            return multipart(ctx, limits, loader);
        }
        if (!type.startsWith("application/json")) {
            throw new ServiceException(
                    415,
                    "unsupported_media_type",
                    "send application/json (images as base64) or " + "multipart/form-data (images as file parts); got '"
                            + (type.isEmpty() ? "no Content-Type" : type) + "'",
                    0);
        }
        byte[] body;
        try (InputStream in = ctx.bodyInputStream()) {
            body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 16, limits.maxRequestBytes() + 1));
        } catch (IOException e) {
            throw ServiceException.badRequest("bad_body", "the request body could not be read: " + e.getMessage());
        }
        if (body.length > limits.maxRequestBytes()) {
            throw tooLarge(limits);
        }
        JsonNode node;
        try {
            node = mapper.readTree(body);
        } catch (JsonProcessingException e) {
            throw ServiceException.badRequest("bad_json", "the body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ServiceException.badRequest("bad_json", "the body is not valid JSON: " + e.getMessage());
        }
        if (!(node instanceof ObjectNode o)) {
            throw ServiceException.badRequest("bad_json", "the body must be a JSON object");
        }
        return new ApiRequest(o, Map.of(), Map.of(), limits, loader);
    }

    private static ApiRequest multipart(Context ctx, ServerConfig.Limits limits, ImageLoader loader) {
        Map<String, List<String>> form = new LinkedHashMap<>();
        Map<String, List<UploadedFile>> files;
        try {
            files = new LinkedHashMap<>(ctx.uploadedFileMap()); // also applies the size limits to the parts
            for (Part p : ctx.req().getParts()) {
                if (p.getSubmittedFileName() == null) { // a text field (file parts are in files)
                    try (InputStream in = p.getInputStream()) {
                        form.computeIfAbsent(p.getName(), k -> new ArrayList<>())
                                .add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                    }
                }
            }
        } catch (IOException | ServletException | RuntimeException e) {
            Throwable t = e;
            while (t.getCause() != null && t.getCause() != t) {
                t = t.getCause();
            }
            String msg = String.valueOf(t.getMessage()) + " " + e.getMessage();
            if (msg.contains("exceed") || msg.contains("too large") || msg.contains("Too Large")) {
                throw tooLarge(limits);
            }
            throw ServiceException.badRequest("bad_body", "the multipart body could not be read: " + t.getMessage());
        }
        return new ApiRequest(null, form, files, limits, loader);
    }

    /** Declared bodies up to this size are read and dropped before a 413 (see {@link #drain}). */
    static final long DRAIN_LIMIT = 16L << 20;

    /**
     * Reads and drops a refused body of moderate size. Closing a connection with unread request bytes makes TCP send
     * a reset, which can reach the client before it has read the 413 (it then sees a broken connection, not the
     * answer); a body over {@link #DRAIN_LIMIT} is not read, and the server closes the connection after answering.
     */
    private static void drain(Context ctx, long declared) {
        if (declared > DRAIN_LIMIT) {
            return;
        }
        try (InputStream in = ctx.bodyInputStream()) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (IOException | RuntimeException e) {
            // the client stopped sending: the 413 goes out on whatever is left of the connection
        }
    }

    static ServiceException tooLarge(ServerConfig.Limits limits) {
        return new ServiceException(
                413,
                "too_large",
                "the request is larger than the server's limit of " + limits.maxRequestBytes() + " bytes",
                0);
    }

    /** Refuses fields the endpoint does not know (a misspelt option would otherwise be ignored silently). */
    void allow(Set<String> known) {
        Set<String> given = new TreeSet<>();
        if (json != null) {
            json.fieldNames().forEachRemaining(given::add);
        } else {
            given.addAll(form.keySet());
            given.addAll(files.keySet());
        }
        given.removeAll(known);
        if (!given.isEmpty()) {
            throw ServiceException.badRequest(
                    "unknown_field",
                    "unknown field" + (given.size() > 1 ? "s " : " ") + String.join(", ", given)
                            + "; this endpoint takes " + String.join(", ", new TreeSet<>(known)));
        }
    }

    boolean has(String name) {
        return json != null ? json.hasNonNull(name) : form.containsKey(name) || files.containsKey(name);
    }

    /** A text field, or {@code def} when absent; longer than the limit is a 400. */
    String string(String name, String def) {
        String v;
        if (json != null) {
            JsonNode n = json.get(name);
            if (n == null || n.isNull()) {
                return def;
            }
            if (!n.isTextual()) {
                throw ServiceException.badRequest("bad_parameter", name + ": must be a string");
            }
            v = n.asText();
        } else {
            List<String> l = form.get(name);
            if (l == null || l.isEmpty()) {
                return def;
            }
            if (l.size() > 1) {
                throw ServiceException.badRequest(
                        "bad_parameter", name + ": given " + l.size() + " times; give it once");
            }
            v = l.get(0);
        }
        return checkText(name, v);
    }

    String requiredString(String name) {
        String v = string(name, null);
        if (v == null || v.isBlank()) {
            throw ServiceException.badRequest("missing_parameter", name + ": required");
        }
        return v;
    }

    private String checkText(String name, String v) {
        if (v.length() > limits.maxTextChars()) {
            throw ServiceException.badRequest(
                    "bad_parameter", name + ": longer than " + limits.maxTextChars() + " characters");
        }
        return v;
    }

    /** An integer field in [min, max], or {@code def}. */
    int integer(String name, int def, int min, int max) {
        long v;
        if (json != null) {
            JsonNode n = json.get(name);
            if (n == null || n.isNull()) {
                return def;
            }
            if (!n.canConvertToLong() || !n.isIntegralNumber()) {
                throw ServiceException.badRequest("bad_parameter", name + ": must be an integer");
            }
            v = n.asLong();
        } else {
            String s = string(name, null);
            if (s == null) {
                return def;
            }
            try {
                v = Long.parseLong(s.strip());
            } catch (NumberFormatException e) {
                throw ServiceException.badRequest("bad_parameter", name + ": must be an integer, got '" + s + "'");
            }
        }
        if (v < min || v > max) {
            throw ServiceException.badRequest(
                    "bad_parameter", name + ": must be in [" + min + ", " + max + "], got " + v);
        }
        return (int) v;
    }

    /** A long field (seeds), or {@code def}. */
    long longValue(String name, long def) {
        if (json != null) {
            JsonNode n = json.get(name);
            if (n == null || n.isNull()) {
                return def;
            }
            if (!n.isIntegralNumber() || !n.canConvertToLong()) {
                throw ServiceException.badRequest("bad_parameter", name + ": must be an integer");
            }
            return n.asLong();
        }
        String s = string(name, null);
        try {
            return s == null ? def : Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            throw ServiceException.badRequest("bad_parameter", name + ": must be an integer, got '" + s + "'");
        }
    }

    /** A number field in [min, max], or {@code def}. */
    double number(String name, double def, double min, double max) {
        double v;
        if (json != null) {
            JsonNode n = json.get(name);
            if (n == null || n.isNull()) {
                return def;
            }
            if (!n.isNumber()) {
                throw ServiceException.badRequest("bad_parameter", name + ": must be a number");
            }
            v = n.asDouble();
        } else {
            String s = string(name, null);
            if (s == null) {
                return def;
            }
            try {
                v = Double.parseDouble(s.strip());
            } catch (NumberFormatException e) {
                throw ServiceException.badRequest("bad_parameter", name + ": must be a number, got '" + s + "'");
            }
        }
        if (!(v >= min && v <= max)) {
            throw ServiceException.badRequest(
                    "bad_parameter", name + ": must be in [" + min + ", " + max + "], got " + v);
        }
        return v;
    }

    boolean bool(String name, boolean def) {
        if (json != null) {
            JsonNode n = json.get(name);
            if (n == null || n.isNull()) {
                return def;
            }
            if (!n.isBoolean()) {
                throw ServiceException.badRequest("bad_parameter", name + ": must be true or false");
            }
            return n.asBoolean();
        }
        String s = string(name, null);
        if (s == null) {
            return def;
        }
        return switch (s.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default ->
                throw ServiceException.badRequest("bad_parameter", name + ": must be true or false, got '" + s + "'");
        };
    }

    /** A list of texts: a JSON array of strings, or a repeated form field; at most the limit. */
    List<String> strings(String name) {
        List<String> out = new ArrayList<>();
        if (json != null) {
            JsonNode n = json.get(name);
            if (n == null || n.isNull()) {
                return out;
            }
            if (!n.isArray()) {
                throw ServiceException.badRequest("bad_parameter", name + ": must be an array of strings");
            }
            for (JsonNode e : n) {
                if (!e.isTextual()) {
                    throw ServiceException.badRequest("bad_parameter", name + ": must be an array of strings");
                }
                out.add(e.asText());
            }
        } else {
            out.addAll(form.getOrDefault(name, List.of()));
        }
        if (out.size() > limits.maxTexts()) {
            throw ServiceException.badRequest(
                    "bad_parameter", name + ": at most " + limits.maxTexts() + " per request, got " + out.size());
        }
        for (int i = 0; i < out.size(); i++) {
            if (out.get(i).isBlank()) {
                throw ServiceException.badRequest("bad_parameter", name + "[" + i + "]: empty text");
            }
            checkText(name + "[" + i + "]", out.get(i));
        }
        return out;
    }

    /** The one image of {@code name}; absent is a 400. */
    RgbImage image(String name) {
        List<RgbImage> l = images(name, 1);
        if (l.isEmpty()) {
            throw ServiceException.badRequest(
                    "missing_parameter", name + ": required (a file part, or base64 in JSON)");
        }
        if (l.size() > 1) {
            throw ServiceException.badRequest("bad_parameter", name + ": give one image");
        }
        return l.get(0);
    }

    /** The images of {@code name} (a JSON array of base64 strings, or repeated file parts), at most {@code max}. */
    List<RgbImage> images(String name, int max) {
        List<byte[]> data = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        if (json != null) {
            JsonNode n = json.get(name);
            if (n != null && !n.isNull()) {
                List<JsonNode> items = new ArrayList<>();
                if (n.isArray()) {
                    n.forEach(items::add);
                } else {
                    items.add(n);
                }
                for (int i = 0; i < items.size(); i++) {
                    String label = n.isArray() ? name + "[" + i + "]" : name;
                    if (!items.get(i).isTextual()) {
                        throw ServiceException.badRequest("bad_image", label + ": must be a base64 string");
                    }
                    data.add(base64(label, items.get(i).asText()));
                    labels.add(label);
                }
            }
        } else {
            if (form.containsKey(name)) {
                throw ServiceException.badRequest(
                        "bad_image",
                        name + ": send the image as a file part " + "(curl -F " + name
                                + "=@photo.jpg), not as a text field");
            }
            for (UploadedFile f : files.getOrDefault(name, List.of())) {
                String label = name + " ('" + f.filename() + "')";
                try (InputStream in = f.content()) {
                    data.add(in.readAllBytes());
                } catch (IOException e) {
                    throw ServiceException.badRequest(
                            "bad_image", label + ": upload could not be read: " + e.getMessage());
                }
                labels.add(label);
            }
        }
        if (data.size() > max) {
            throw ServiceException.badRequest(
                    "bad_parameter", name + ": at most " + max + " images per request, got " + data.size());
        }
        List<RgbImage> out = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) {
            try {
                out.add(loader.load(data.get(i), labels.get(i)));
            } catch (ImageDecodeException e) {
                throw ServiceException.badRequest("bad_image", e.getMessage());
            }
        }
        return out;
    }

    private static byte[] base64(String label, String s) {
        String b = s.strip();
        if (b.startsWith("data:")) { // a data URL: data:image/png;base64,....
            int comma = b.indexOf(',');
            if (comma < 0 || !b.substring(0, comma).endsWith(";base64")) {
                throw ServiceException.badRequest(
                        "bad_image", label + ": a data URL must be base64 (data:image/...;base64,...)");
            }
            b = b.substring(comma + 1);
        }
        try {
            return Base64.getDecoder().decode(b.replaceAll("\\s+", ""));
        } catch (IllegalArgumentException e) {
            throw ServiceException.badRequest("bad_image", label + ": not valid base64 (" + e.getMessage() + ")");
        }
    }
}

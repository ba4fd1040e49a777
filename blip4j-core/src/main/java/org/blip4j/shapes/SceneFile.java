package org.blip4j.shapes;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.blip4j.data.AnnotationException;
import org.blip4j.data.Annotations;

/**
 * Reads the scene descriptions a shapes-world run writes ({@code scenes.json}, one record per image) back into
 * {@link Scene}s, the ground truth that captions, answers and retrieval results are checked against. The per-pixel
 * noise seed is not written, so scenes read back carry seed 0: their truth is exact, their rendering is not.
 */
public final class SceneFile {
    /** The file name a generation run writes. */
    public static final String NAME = "scenes.json";

    private SceneFile() {}

    /**
     * The scenes of a {@code scenes.json}, keyed by their {@code image} path as written (relative to the file's
     * folder), in file order.
     *
     * @throws AnnotationException naming the file, the record and the problem, for a malformed record
     */
    public static Map<String, Scene> read(Path file) throws IOException {
        Map<String, Scene> out = new LinkedHashMap<>();
        Annotations.streamObjects(file, (i, node) -> {
            try {
                out.put(text(node, "image"), scene(node));
            } catch (IllegalArgumentException e) {
                throw new AnnotationException(file, i, -1, e.getMessage());
            }
        });
        return out;
    }

    /** One record of {@code scenes.json} as a scene. */
    static Scene scene(JsonNode n) {
        int size = (int) number(n, "size");
        JsonNode b = field(n, "background");
        Background.Kind kind = enumOf(Background.Kind.class, text(b, "kind"), "background kind");
        BackgroundColor c1 = enumOf(BackgroundColor.class, text(b, "color"), "background color");
        BackgroundColor c2 =
                b.has("color2") ? enumOf(BackgroundColor.class, text(b, "color2"), "background color2") : null;
        int angle = b.has("angle") ? (int) number(b, "angle") : 0;
        int period = b.has("period") ? (int) number(b, "period") : 0;
        int shade = b.has("shade") ? (int) number(b, "shade") : 0;
        if (kind == Background.Kind.GRADIENT && c2 == null || kind == Background.Kind.STRIPES && period <= 0) {
            throw new IllegalArgumentException("incomplete " + kind.id() + " background");
        }
        JsonNode objs = field(n, "objects");
        if (!objs.isArray()) {
            throw new IllegalArgumentException("'objects' must be an array");
        }
        java.util.List<SceneObject> objects = new java.util.ArrayList<>();
        for (JsonNode o : objs) {
            JsonNode box = field(o, "bbox");
            if (!box.isArray() || box.size() != 4) {
                throw new IllegalArgumentException("'bbox' must hold 4 numbers");
            }
            String rgb = o.has("rgb") ? text(o, "rgb") : null;
            ShapeColor color = enumOf(ShapeColor.class, text(o, "color"), "color");
            int rgbValue;
            try {
                rgbValue = rgb == null ? color.rgb() : Integer.parseInt(rgb.replace("#", ""), 16);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'rgb' must be #rrggbb, got " + rgb);
            }
            objects.add(new SceneObject(
                    enumOf(ShapeKind.class, text(o, "shape"), "shape"),
                    color,
                    enumOf(SizeClass.class, text(o, "size"), "size"),
                    number(o, "x"),
                    number(o, "y"),
                    number(o, "radius"),
                    o.has("rotation") ? number(o, "rotation") : 0,
                    rgbValue,
                    box.get(0).asDouble(),
                    box.get(1).asDouble(),
                    box.get(2).asDouble(),
                    box.get(3).asDouble(),
                    Outline.STANDARD));
        }
        double noise = n.has("noise") ? number(n, "noise") : 0;
        return new Scene(size, new Background(kind, c1, c2, angle, period, shade), noise, 0, objects);
    }

    private static JsonNode field(JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("missing key '" + key + "'");
        }
        return v;
    }

    private static String text(JsonNode n, String key) {
        JsonNode v = field(n, key);
        if (!v.isTextual()) {
            throw new IllegalArgumentException("'" + key + "' must be a string, got " + v);
        }
        return v.textValue();
    }

    private static double number(JsonNode n, String key) {
        JsonNode v = field(n, key);
        if (!v.isNumber()) {
            throw new IllegalArgumentException("'" + key + "' must be a number, got " + v);
        }
        return v.doubleValue();
    }

    private static <E extends Enum<E>> E enumOf(Class<E> type, String id, String what) {
        try {
            return Enum.valueOf(type, id.toUpperCase(Locale.ROOT).replace(' ', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown " + what + " '" + id + "'");
        }
    }
}

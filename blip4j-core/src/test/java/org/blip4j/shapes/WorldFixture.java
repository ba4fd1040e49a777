package org.blip4j.shapes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A small shapes world generated once per test JVM, read back from its files only: the scene descriptions of
 * scenes.json are the ground truth the tests recompute everything from.
 */
final class WorldFixture {
    /** An object as scenes.json describes it. */
    record Obj(String shape, String color, String size, double x, double y) {}

    /** A scene as scenes.json describes it; {@code bg} is the caption word of its background. */
    record World(int size, String bg, List<Obj> objects) {
        long count(String size, String color, String shape) {
            return objects.stream().filter(o -> matches(o, size, color, shape)).count();
        }

        List<Obj> matching(String size, String color, String shape) {
            return objects.stream().filter(o -> matches(o, size, color, shape)).toList();
        }

        static boolean matches(Obj o, String size, String color, String shape) {
            return (size == null || size.equals(o.size()))
                    && (color == null || color.equals(o.color()))
                    && (shape == null || shape.equals(o.shape()));
        }

        /** "left of" etc. as specified: at least 0.15 of the side along the axis, at most 0.75 as much across. */
        boolean relationTrue(Obj a, String rel, Obj b) {
            double along;
            double across;
            switch (rel) {
                case "left":
                    along = b.x() - a.x();
                    across = Math.abs(b.y() - a.y());
                    break;
                case "right":
                    along = a.x() - b.x();
                    across = Math.abs(b.y() - a.y());
                    break;
                case "above":
                    along = b.y() - a.y();
                    across = Math.abs(b.x() - a.x());
                    break;
                default:
                    along = a.y() - b.y();
                    across = Math.abs(b.x() - a.x());
                    break;
            }
            return along >= 0.15 * size && across <= 0.75 * along;
        }

        /** Strictly false (not a borderline case). */
        boolean relationFalse(Obj a, String rel, Obj b) {
            double along;
            double across;
            switch (rel) {
                case "left":
                    along = b.x() - a.x();
                    across = Math.abs(b.y() - a.y());
                    break;
                case "right":
                    along = a.x() - b.x();
                    across = Math.abs(b.y() - a.y());
                    break;
                case "above":
                    along = b.y() - a.y();
                    across = Math.abs(b.x() - a.x());
                    break;
                default:
                    along = a.y() - b.y();
                    across = Math.abs(b.x() - a.x());
                    break;
            }
            return along <= 0.05 * size || across >= 1.33 * along;
        }

        /** "top left", "left", "center", ... of an object's centre on the 3 x 3 grid. */
        String region(Obj o) {
            String h = o.x() < size / 3.0 ? "left" : o.x() >= 2 * size / 3.0 ? "right" : "";
            String v = o.y() < size / 3.0 ? "top" : o.y() >= 2 * size / 3.0 ? "bottom" : "";
            String r = (v + " " + h).trim();
            return r.isEmpty() ? "center" : r;
        }
    }

    static final ObjectMapper JSON = new ObjectMapper();
    /** The world under test; environment variables SHAPES_SEED=N and SHAPES_SCALE=K check another or a bigger one. */
    static final ShapesConfig CONFIG = ShapesConfig.defaults(env("SHAPES_SEED", 2024))
            .withSizes(160 * scale(), 20 * scale(), 40 * scale(), 180 * scale())
            .withNlvr(120 * scale(), 40 * scale())
            .withThreads(2);

    private static Path dir;
    private static Map<String, World> worlds;

    private WorldFixture() {}

    private static long env(String name, long fallback) {
        String s = System.getenv(name);
        return s == null || s.isBlank() ? fallback : Long.parseLong(s.trim());
    }

    private static int scale() {
        return (int) env("SHAPES_SCALE", 1);
    }

    static synchronized Path dir() {
        if (dir == null) {
            try {
                Path d = Files.createTempDirectory("shapes-world");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(d)));
                ShapesGenerator.generate(CONFIG, d, null);
                dir = d;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return dir;
    }

    static JsonNode read(String file) {
        try {
            return JSON.readTree(dir().resolve(file).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Scene descriptions by image path. */
    static synchronized Map<String, World> worlds() {
        if (worlds == null) {
            Map<String, World> m = new LinkedHashMap<>();
            for (JsonNode s : read("scenes.json")) {
                JsonNode bg = s.get("background");
                String kind = bg.get("kind").asText();
                String word =
                        kind.equals("solid") ? bg.get("color").asText() : kind.equals("stripes") ? "striped" : kind;
                List<Obj> objs = new ArrayList<>();
                for (JsonNode o : s.get("objects")) {
                    objs.add(new Obj(
                            o.get("shape").asText(),
                            o.get("color").asText(),
                            o.get("size").asText(),
                            o.get("x").asDouble(),
                            o.get("y").asDouble()));
                }
                m.put(s.get("image").asText(), new World(s.get("size").asInt(), word, objs));
            }
            worlds = m;
        }
        return worlds;
    }

    static void delete(Path d) {
        try (Stream<Path> s = Files.walk(d)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}

package org.blip4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A training recipe: a YAML file with the keys of BLIP's {@code configs/*.yaml} (init_lr, min_lr, max_epoch,
 * batch_size, weight_decay, image_size, queue_size, alpha, warmup_lr, warmup_steps, lr_decay_rate, prompt, …) plus
 * blip4j's own (train_file, image_root, pretrained or model, output_dir, seed, workers). Relative paths are resolved
 * against the recipe's folder.
 *
 * <p>Every key and value is checked when the recipe is read, overrides included: a key missing from
 * {@link RecipeKeys} is an error that suggests the nearest known key, and a value of the wrong type (a flag that is
 * not true/false, a word where a number belongs) is an error naming the key.
 */
public final class Recipe {
    private static final Pattern NUMBER = Pattern.compile("[-+]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][-+]?\\d+)?");

    private final Path file;
    private final ObjectNode root;

    private Recipe(Path file, ObjectNode root) {
        this.file = file;
        this.root = root;
    }

    /**
     * Reads a recipe and applies {@code key=value} overrides (values parsed as YAML scalars; {@code parent.key} sets a
     * key of a mapping such as {@code vision}).
     *
     * @throws IllegalArgumentException naming the file (or the override) and the key, for unknown keys and wrong types
     */
    public static Recipe read(Path file, Map<String, String> overrides) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": recipe not found");
        }
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        JsonNode n;
        try {
            n = yaml.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid YAML: "
                    + e.getMessage().lines().findFirst().orElse(""));
        }
        if (n == null || !n.isObject()) {
            throw new IOException(file + ": a recipe must be a YAML mapping of keys to values");
        }
        ObjectNode root = (ObjectNode) n;
        List<String> problems = new ArrayList<>();
        for (var it = root.fields(); it.hasNext(); ) {
            var e = it.next();
            check(e.getKey(), e.getValue(), RecipeKeys.KEYS, null, problems);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(file + ": " + String.join("; ", problems));
        }
        for (var o : overrides.entrySet()) {
            override(root, o.getKey(), o.getValue(), yaml);
        }
        return new Recipe(file, root);
    }

    /** Applies one {@code --set key=value}. */
    private static void override(ObjectNode root, String key, String value, ObjectMapper yaml) {
        String where = "--set " + key + "=" + value + ": ";
        int dot = key.indexOf('.');
        String top = dot < 0 ? key : key.substring(0, dot);
        RecipeKeys.Key k = RecipeKeys.get(top);
        List<String> problems = new ArrayList<>();
        if (k == null || (dot >= 0 && k.type() != RecipeKeys.Type.MAPPING)) {
            check(key, null, RecipeKeys.KEYS, null, problems); // the unknown-key message with a suggestion
            throw new IllegalArgumentException(where + String.join("; ", problems));
        }
        List<RecipeKeys.Key> scope = dot < 0 ? RecipeKeys.KEYS : RecipeKeys.SUBKEYS.get(top);
        String name = dot < 0 ? key : key.substring(dot + 1);
        RecipeKeys.Key target = dot < 0 ? k : RecipeKeys.get(top, name);
        JsonNode v;
        try {
            v = yaml.readTree(value);
        } catch (IOException e) {
            v = null;
        }
        if (v == null || v.isMissingNode()) {
            v = com.fasterxml.jackson.databind.node.TextNode.valueOf(value);
        } else if (target != null
                && (target.type() == RecipeKeys.Type.STRING || target.type() == RecipeKeys.Type.PATH)
                && !v.isTextual()) {
            v = com.fasterxml.jackson.databind.node.TextNode.valueOf(value); // a path with ':' or '#' stays a path
        }
        check(name, v, scope, dot < 0 ? null : top, problems);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(where + String.join("; ", problems));
        }
        if (dot < 0) {
            root.set(key, v);
        } else {
            JsonNode parent = root.get(top);
            ObjectNode obj = parent instanceof ObjectNode o ? o : root.putObject(top);
            obj.set(name, v);
        }
    }

    /** Adds what is wrong with {@code key: value} (value null: only whether the key exists) to {@code problems}. */
    private static void check(
            String key, JsonNode value, List<RecipeKeys.Key> scope, String parent, List<String> problems) {
        String shown = parent == null ? key : parent + "." + key;
        RecipeKeys.Key k =
                scope.stream().filter(x -> x.name().equals(key)).findFirst().orElse(null);
        if (k == null) {
            String near = RecipeKeys.nearest(key, scope);
            String prefix = parent == null ? "" : parent + ".";
            problems.add("unknown recipe key '" + shown + "'"
                    + (near != null && RecipeKeys.distance(key, near) <= Math.max(2, key.length() / 3)
                            ? " (did you mean '" + prefix + near + "'?)"
                            : " (known keys: "
                                    + String.join(
                                            ", ",
                                            scope.stream()
                                                    .map(x -> prefix + x.name())
                                                    .toList()) + ")"));
            return;
        }
        if (value == null || value.isNull()) {
            return; // unset: the default applies
        }
        boolean ok = switch (k.type()) {
            case INT -> value.isIntegralNumber() && value.canConvertToInt();
            case NUMBER ->
                value.isNumber()
                        || (value.isTextual()
                                && NUMBER.matcher(value.asText().trim()).matches());
            case FLAG -> value.isBoolean();
            case STRING, PATH -> value.isTextual();
            case FLAG_OR_NAME -> value.isBoolean() || value.isTextual();
            case PATHS ->
                value.isTextual()
                        || (value.isArray()
                                && !value.isEmpty()
                                && java.util.stream.StreamSupport.stream(value.spliterator(), false)
                                        .allMatch(JsonNode::isTextual));
            case MAPPING -> value.isObject();
            case IGNORED -> true;
        };
        if (!ok) {
            problems.add(shown + " must be " + k.type().description + ", got " + value);
            return;
        }
        if (k.type() == RecipeKeys.Type.MAPPING) {
            for (var it = value.fields(); it.hasNext(); ) {
                var e = it.next();
                check(e.getKey(), e.getValue(), RecipeKeys.SUBKEYS.get(key), key, problems);
            }
        }
    }

    public Path file() {
        return file;
    }

    /** The keys set here that blip4j ignores on purpose (the reference uses them for evaluation or multi-GPU runs). */
    public List<String> ignoredKeys() {
        List<String> out = new ArrayList<>();
        root.fieldNames().forEachRemaining(k -> {
            if (RecipeKeys.get(k).type() == RecipeKeys.Type.IGNORED) {
                out.add(k);
            }
        });
        return out;
    }

    public boolean has(String key) {
        known(key);
        return root.hasNonNull(key);
    }

    public String string(String key) {
        known(key, RecipeKeys.Type.STRING, RecipeKeys.Type.PATH);
        return require(key).asText();
    }

    public String string(String key, String dflt) {
        known(key, RecipeKeys.Type.STRING, RecipeKeys.Type.PATH, RecipeKeys.Type.FLAG_OR_NAME);
        return has(key) ? root.get(key).asText() : dflt;
    }

    public int integer(String key, int dflt) {
        known(key, RecipeKeys.Type.INT);
        if (!has(key)) {
            return dflt;
        }
        JsonNode v = root.get(key);
        if (!v.canConvertToInt() || !v.isIntegralNumber()) {
            throw new IllegalArgumentException(file + ": " + key + " must be an integer, got " + v);
        }
        return v.asInt();
    }

    public double number(String key, double dflt) {
        known(key, RecipeKeys.Type.NUMBER);
        if (!has(key)) {
            return dflt;
        }
        JsonNode v = root.get(key);
        if (!v.isNumber() && !NUMBER.matcher(v.asText().trim()).matches()) {
            throw new IllegalArgumentException(file + ": " + key + " must be a number, got " + v);
        }
        return v.isNumber() ? v.asDouble() : Double.parseDouble(v.asText().trim());
    }

    public boolean flag(String key, boolean dflt) {
        known(key, RecipeKeys.Type.FLAG);
        if (!has(key)) {
            return dflt;
        }
        JsonNode v = root.get(key);
        if (!v.isBoolean()) {
            throw new IllegalArgumentException(file + ": " + key + " must be true or false, got " + v);
        }
        return v.asBoolean();
    }

    /**
     * Whether the recipe asks for mixed precision ({@code precision: bf16}); {@code float32} or no key is false, any
     * other value an error naming the file. Warns when this CPU has no native bf16 (oneDNN then emulates it, slower).
     */
    public boolean bf16() {
        String p = string("precision", "float32").trim().toLowerCase(java.util.Locale.ROOT);
        switch (p) {
            case "float32", "fp32" -> {
                return false;
            }
            case "bf16", "bfloat16" -> {
                if (!org.blip4j.engine.Bf16Linear.nativeSupport()) {
                    org.slf4j.LoggerFactory.getLogger(Recipe.class)
                            .warn(
                                    "{}: precision bf16 on a CPU without native bf16 (avx512_bf16 / amx_bf16): correct"
                                            + " but slower than float32",
                                    file);
                }
                return true;
            }
            default ->
                throw new IllegalArgumentException(file + ": precision must be float32 or bf16, got '"
                        + root.get("precision").asText() + "'");
        }
    }

    /** A path value resolved against the recipe's folder. */
    public Path path(String key) {
        known(key, RecipeKeys.Type.PATH, RecipeKeys.Type.PATHS);
        JsonNode v = require(key);
        if (!v.isTextual()) {
            throw new IllegalArgumentException(file + ": " + key + " must be one path here, got " + v);
        }
        Path p = Path.of(v.asText());
        return p.isAbsolute() ? p : file.toAbsolutePath().getParent().resolve(p).normalize();
    }

    public JsonNode node(String key) {
        known(key, RecipeKeys.Type.PATHS, RecipeKeys.Type.MAPPING);
        return require(key);
    }

    /** Code may only read keys of the table, with their type: the table then lists every key blip4j reads. */
    private static void known(String key, RecipeKeys.Type... types) {
        RecipeKeys.Key k = RecipeKeys.get(key);
        if (k == null || (types.length > 0 && !List.of(types).contains(k.type()))) {
            throw new IllegalStateException("recipe key '" + key + "' is read as " + List.of(types) + " but RecipeKeys "
                    + (k == null ? "does not list it" : "lists it as " + k.type()));
        }
    }

    private JsonNode require(String key) {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException(file + ": missing required key '" + key + "'");
        }
        return v;
    }
}

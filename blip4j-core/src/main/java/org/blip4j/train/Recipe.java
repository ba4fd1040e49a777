package org.blip4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A training recipe: a YAML file with the keys of BLIP's {@code configs/*.yaml} (init_lr, min_lr, max_epoch,
 * batch_size, weight_decay, image_size, queue_size, alpha, warmup_lr, warmup_steps, lr_decay_rate, prompt, …) plus
 * blip4j's own (train_file, image_root, pretrained or model, output_dir, seed, workers). Relative paths are resolved
 * against the recipe's folder.
 */
public final class Recipe {
  private final Path file;
  private final ObjectNode root;

  private Recipe(Path file, ObjectNode root) {
    this.file = file;
    this.root = root;
  }

  /** Reads a recipe and applies {@code key=value} overrides (values parsed as YAML scalars). */
  public static Recipe read(Path file, Map<String, String> overrides) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + ": recipe not found");
    }
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    JsonNode n;
    try {
      n = yaml.readTree(file.toFile());
    } catch (IOException e) {
      throw new IOException(file + ": not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
    }
    if (n == null || !n.isObject()) {
      throw new IOException(file + ": a recipe must be a YAML mapping of keys to values");
    }
    ObjectNode root = (ObjectNode) n;
    for (var o : overrides.entrySet()) {
      root.set(o.getKey(), yaml.readTree(o.getValue()));
    }
    return new Recipe(file, root);
  }

  public Path file() {
    return file;
  }

  public boolean has(String key) {
    return root.hasNonNull(key);
  }

  public String string(String key) {
    return require(key).asText();
  }

  public String string(String key, String dflt) {
    return has(key) ? root.get(key).asText() : dflt;
  }

  public int integer(String key, int dflt) {
    if (!has(key)) {
      return dflt;
    }
    JsonNode v = root.get(key);
    if (!v.canConvertToInt()) {
      throw new IllegalArgumentException(file + ": " + key + " must be an integer, got " + v);
    }
    return v.asInt();
  }

  public double number(String key, double dflt) {
    if (!has(key)) {
      return dflt;
    }
    JsonNode v = root.get(key);
    if (!v.isNumber() && !v.asText().matches("[-+0-9.eE]+")) {
      throw new IllegalArgumentException(file + ": " + key + " must be a number, got " + v);
    }
    return v.asDouble();
  }

  public boolean flag(String key, boolean dflt) {
    return has(key) ? root.get(key).asBoolean() : dflt;
  }

  /** A path value resolved against the recipe's folder. */
  public Path path(String key) {
    Path p = Path.of(string(key));
    return p.isAbsolute() ? p : file.toAbsolutePath().getParent().resolve(p).normalize();
  }

  public JsonNode node(String key) {
    return require(key);
  }

  private JsonNode require(String key) {
    JsonNode v = root.get(key);
    if (v == null || v.isNull()) {
      throw new IllegalArgumentException(file + ": missing required key '" + key + "'");
    }
    return v;
  }
}

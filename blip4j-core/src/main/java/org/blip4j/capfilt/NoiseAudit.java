package org.blip4j.capfilt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Scores a CapFilt run's filter against ground-truth noise labels (the paper's Table 1 question, "does the filter
 * remove the noisy web texts?"): precision and recall of "removed" as a detector of noisy texts, and the removal rate
 * per noise kind. Labels are records {@code {image, caption, label}} with label {@code clean} or a noise kind, as the
 * shapes world's {@code web_noise_labels.json}; they are matched to web decisions by (image, text).
 */
public final class NoiseAudit {
    /**
     * The audit.
     *
     * @param precision of the removed web texts, the fraction that were noisy
     * @param recall of the noisy web texts, the fraction removed
     * @param removedByLabel per label (clean and each noise kind): [removed, total]
     * @param syntheticKept synthetic captions kept, of {@code syntheticTotal}
     */
    public record Result(
            double precision,
            double recall,
            Map<String, long[]> removedByLabel,
            long syntheticKept,
            long syntheticTotal) {
        /** As a JSON-friendly map. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("precision", precision);
            m.put("recall", recall);
            Map<String, Object> by = new LinkedHashMap<>();
            removedByLabel.forEach((k, v) -> by.put(k, Map.of("removed", v[0], "total", v[1])));
            m.put("removed_by_label", by);
            m.put("synthetic_kept", syntheticKept);
            m.put("synthetic_total", syntheticTotal);
            return m;
        }
    }

    private NoiseAudit() {}

    /** Audits the decisions of the finished run in {@code out} against {@code labels}. */
    public static Result audit(Path out, Path labels) throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode lab;
        try {
            lab = json.readTree(labels.toFile());
        } catch (IOException e) {
            throw new IOException(labels + ": not a JSON list of noise labels: " + e.getMessage(), e);
        }
        if (lab == null || !lab.isArray()) {
            throw new IOException(labels + ": expected a JSON list of {image, caption, label}");
        }
        Map<String, String> truth = new HashMap<>();
        for (JsonNode r : lab) {
            truth.put(
                    r.path("image").asText() + "\u0000" + r.path("caption").asText(),
                    r.path("label").asText());
        }
        Path dir = out.resolve(CapFilt.DECISIONS);
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + ": no decisions folder (is " + out + " a finished capfilt run?)");
        }
        Map<String, long[]> by = new TreeMap<>();
        long tp = 0;
        long removed = 0;
        long noisy = 0;
        long synKept = 0;
        long synTotal = 0;
        List<Path> parts;
        try (Stream<Path> s = Files.list(dir)) {
            parts = s.filter(p -> p.getFileName().toString().endsWith(".jsonl"))
                    .sorted()
                    .toList();
        }
        for (Path part : parts) {
            try (BufferedReader r = Files.newBufferedReader(part)) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.isBlank()) {
                        continue;
                    }
                    JsonNode d = json.readTree(line);
                    if (!d.has("text")) {
                        continue; // an item without scored texts (rejected image)
                    }
                    boolean kept = d.path("kept").asBoolean();
                    if (d.path("source").asText().equals("synthetic")) {
                        synTotal++;
                        synKept += kept ? 1 : 0;
                        continue;
                    }
                    String label = truth.get(
                            d.path("image").asText() + "\u0000" + d.path("text").asText());
                    if (label == null) {
                        throw new IOException(
                                part + ": web text of " + d.path("image").asText() + " has no label in " + labels);
                    }
                    long[] c = by.computeIfAbsent(label, k -> new long[2]);
                    c[1]++;
                    boolean isNoisy = !label.equals("clean");
                    noisy += isNoisy ? 1 : 0;
                    if (!kept) {
                        c[0]++;
                        removed++;
                        tp += isNoisy ? 1 : 0;
                    }
                }
            }
        }
        return new Result(
                removed == 0 ? 0 : (double) tp / removed, noisy == 0 ? 0 : (double) tp / noisy, by, synKept, synTotal);
    }
}

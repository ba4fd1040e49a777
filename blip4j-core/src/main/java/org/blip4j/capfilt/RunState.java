package org.blip4j.capfilt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * A run's checkpointed state ({@code progress.json}): the settings it was started with, the next input item to
 * process, and every running aggregate the final report needs (counts, histogram, the example sample), all of constant
 * size whatever the number of items.
 */
final class RunState {
    static final int VERSION = 1;
    /** Histogram bins of p(match) over [0, 1]. */
    static final int BINS = 20;

    final JsonNode settings;
    /** Index (0-based, in the web file) of the first item not yet committed in a shard. */
    long nextItem;
    /** All shards and the final files are written. */
    boolean complete;
    /** Total number of web items, known once the input has been read to its end. */
    long items;

    long human;
    long scored;
    long rejected;
    /** Per source (0 web, 1 synthetic): texts scored and texts kept. */
    final long[] texts = new long[2];

    final long[] kept = new long[2];
    /** Per source: counts of p(match) per bin, bin b covering [b / BINS, (b + 1) / BINS), the last one closed. */
    final long[][] histogram = new long[2][BINS];
    /** The example sample: the {@code exampleCapacity} scored items with the smallest keys, as {key, index}. */
    private final TreeSet<long[]> examples =
            new TreeSet<>(Comparator.<long[]>comparingLong(e -> e[0]).thenComparingLong(e -> e[1]));

    private final int exampleCapacity;

    RunState(JsonNode settings, int exampleCapacity) {
        this.settings = settings;
        this.exampleCapacity = exampleCapacity;
    }

    static int bin(double p) {
        int b = (int) Math.floor(p * BINS);
        return Math.max(0, Math.min(BINS - 1, b));
    }

    void count(int source, double p, boolean keep) {
        texts[source]++;
        if (keep) {
            kept[source]++;
        }
        histogram[source][bin(p)]++;
    }

    /** Offers a scored item to the example sample (a bounded, order-independent selection by key). */
    void offerExample(long key, long index) {
        if (exampleCapacity <= 0) {
            return;
        }
        examples.add(new long[] {key, index});
        if (examples.size() > exampleCapacity) {
            examples.pollLast();
        }
    }

    /** Indices of the sampled examples, ascending. */
    List<Long> exampleIndices() {
        List<Long> out = new ArrayList<>();
        examples.forEach(e -> out.add(e[1]));
        out.sort(null);
        return out;
    }

    ObjectNode toJson(ObjectMapper json) {
        ObjectNode o = json.createObjectNode();
        o.put("version", VERSION);
        o.put("complete", complete);
        o.put("next_item", nextItem);
        o.put("items", items);
        o.put("human", human);
        o.put("scored", scored);
        o.put("rejected", rejected);
        for (int s = 0; s < 2; s++) {
            ObjectNode c = o.putObject(s == 0 ? "web" : "synthetic");
            c.put("texts", texts[s]);
            c.put("kept", kept[s]);
            ArrayNode h = c.putArray("histogram");
            for (long v : histogram[s]) {
                h.add(v);
            }
        }
        ArrayNode ex = o.putArray("examples");
        for (long[] e : examples) {
            ex.addArray().add(e[0]).add(e[1]);
        }
        o.set("settings", settings);
        return o;
    }

    static RunState fromJson(JsonNode o, int exampleCapacity) throws IOException {
        if (o.path("version").asInt(-1) != VERSION) {
            throw new IOException("unsupported progress.json version " + o.path("version"));
        }
        RunState s = new RunState(o.get("settings"), exampleCapacity);
        s.complete = o.path("complete").asBoolean();
        s.nextItem = o.path("next_item").asLong();
        s.items = o.path("items").asLong();
        s.human = o.path("human").asLong();
        s.scored = o.path("scored").asLong();
        s.rejected = o.path("rejected").asLong();
        for (int k = 0; k < 2; k++) {
            JsonNode c = o.path(k == 0 ? "web" : "synthetic");
            s.texts[k] = c.path("texts").asLong();
            s.kept[k] = c.path("kept").asLong();
            JsonNode h = c.path("histogram");
            if (h.size() != BINS) {
                throw new IOException("progress.json: histogram of " + h.size() + " bins, expected " + BINS);
            }
            for (int b = 0; b < BINS; b++) {
                s.histogram[k][b] = h.get(b).asLong();
            }
        }
        for (JsonNode e : o.path("examples")) {
            s.offerExample(e.get(0).asLong(), e.get(1).asLong());
        }
        return s;
    }
}

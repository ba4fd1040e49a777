package org.blip4j.server;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import org.blip4j.Blip;

/** A loaded model under its name, with one lane (queue + batcher thread) per capability. */
final class ServedModel implements AutoCloseable {
    private final String name;
    private final String spec;
    private final Blip blip;
    private final Set<Capability> capabilities;
    private final Map<Capability, Lane<?, ?>> lanes = new EnumMap<>(Capability.class);

    ServedModel(String name, String spec, Blip blip, ServerConfig.Batching batching, Metrics metrics) {
        this.name = name;
        this.spec = spec;
        this.blip = blip;
        this.capabilities = Collections.unmodifiableSet(Capability.of(blip.task()));
        for (Capability c : capabilities) {
            lanes.put(c, lane(c, batching, metrics));
        }
    }

    private Lane<?, ?> lane(Capability c, ServerConfig.Batching b, Metrics metrics) {
        String laneName = name + ":" + c.label();
        // ranking answers and searching run one request at a time: the library has no batched form of either
        int max = c == Capability.VQA_RANK || c == Capability.SEARCH ? 1 : b.maxBatch();
        long wait = b.maxWait().toNanos();
        Lane.Listener l = metrics.lane(name, c.label(), () -> lanes.get(c).depth());
        return switch (c) {
            case CAPTION ->
                new Lane<Work.Caption, java.util.List<String>>(
                        laneName, max, wait, b.queueCapacity(), batch -> Work.captions(blip, batch), l);
            case VQA ->
                new Lane<Work.Vqa, String>(
                        laneName, max, wait, b.queueCapacity(), batch -> Work.answers(blip, batch), l);
            case VQA_RANK ->
                new Lane<Work.VqaRank, String>(
                        laneName, max, wait, b.queueCapacity(), batch -> Work.rankedAnswers(blip, batch), l);
            case ITM ->
                new Lane<Work.Match, double[]>(
                        laneName, max, wait, b.queueCapacity(), batch -> Work.itm(blip, batch), l);
            case ITC ->
                new Lane<Work.Match, double[]>(
                        laneName, max, wait, b.queueCapacity(), batch -> Work.itc(blip, batch), l);
            case EMBEDDINGS ->
                new Lane<Work.Embed, Work.Embeddings>(
                        laneName, max, wait, b.queueCapacity(), batch -> Work.embeddings(blip, batch), l);
            case SEARCH ->
                new Lane<Work.Search, org.blip4j.retrieval.Retriever.Result>(
                        laneName, max, wait, b.queueCapacity(), Work::search, l);
        };
    }

    String name() {
        return name;
    }

    /** The ITM first token when a request names none: [ENC] for the embedded shapes models, else [CLS]. */
    Blip.MatchToken matchToken() {
        return org.blip4j.hub.BundledModels.matchToken(spec);
    }

    String spec() {
        return spec;
    }

    Blip blip() {
        return blip;
    }

    Set<Capability> capabilities() {
        return capabilities;
    }

    boolean can(Capability c) {
        return capabilities.contains(c);
    }

    /** The lane serving {@code c}; the caller knows its input and output types. */
    @SuppressWarnings("unchecked")
    <I, O> Lane<I, O> lane(Capability c) {
        return (Lane<I, O>) lanes.get(c);
    }

    Map<Capability, Lane<?, ?>> lanes() {
        return Collections.unmodifiableMap(lanes);
    }

    /** Serves what was accepted (up to {@code graceNanos} for all lanes together), then closes the model. */
    void close(long graceNanos) {
        long end = System.nanoTime() + graceNanos;
        for (Lane<?, ?> l : lanes.values()) {
            l.close(Math.max(1, end - System.nanoTime()));
        }
        blip.close();
    }

    @Override
    public void close() {
        close(java.util.concurrent.TimeUnit.SECONDS.toNanos(30));
    }
}

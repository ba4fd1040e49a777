package org.blip4j.server;

import java.io.IOException;
import java.nio.file.Path;
import org.blip4j.image.ImageLoader;
import org.blip4j.retrieval.EmbeddingIndex;
import org.blip4j.retrieval.Retriever;

/**
 * An embedding index opened read-only at start-up, with the ITM model that embeds queries and re-ranks candidates, or
 * with a captioning model that re-ranks them instead (docs/retrieval.md).
 * Candidate images are read from the paths the index was built with (by the operator, with {@code blip4j index});
 * clients only ever name a row.
 */
final class ServedIndex implements AutoCloseable {
    private final String name;
    private final EmbeddingIndex index;
    private final ServedModel model;
    private final ServedModel captioner; // null: ITM re-ranks
    private final Retriever retriever;
    private final ImageLoader loader;

    private ServedIndex(
            String name, EmbeddingIndex index, ServedModel model, ServedModel captioner, ImageLoader loader) {
        this.name = name;
        this.index = index;
        this.model = model;
        this.captioner = captioner;
        this.loader = loader;
        this.retriever = new Retriever(
                model.blip(), id -> loader.load(Path.of(id)), captioner == null ? null : captioner.blip());
    }

    /**
     * Opens {@code spec.dir()} and checks that it holds image or text embeddings of {@code model}'s size; {@code
     * captioner} (or null) re-ranks.
     */
    static ServedIndex open(ServerConfig.IndexSpec spec, ServedModel model, ServedModel captioner, ImageLoader loader)
            throws IOException {
        EmbeddingIndex idx = EmbeddingIndex.openReadOnly(spec.dir());
        try {
            idx.requireCompatible(model.blip().config().embedDim(), idx.kind());
        } catch (IOException | RuntimeException e) {
            idx.close();
            throw e;
        }
        return new ServedIndex(spec.name(), idx, model, captioner, loader);
    }

    String name() {
        return name;
    }

    EmbeddingIndex index() {
        return index;
    }

    ServedModel model() {
        return model;
    }

    /** The captioning model that re-ranks, or null when ITM does. */
    ServedModel captioner() {
        return captioner;
    }

    Retriever retriever() {
        return retriever;
    }

    private volatile float[] mean; // the rows' mean, computed on first use (the index is read-only)

    /** The mean of the index's vectors ({@link EmbeddingIndex#meanVector()}), computed once. */
    float[] meanVector() {
        float[] m = mean;
        if (m == null) {
            m = index.meanVector();
            mean = m;
        }
        return m;
    }

    /** Image index (text→image search); an index of unrecorded kind counts as one, as {@code blip4j search} has it. */
    boolean holdsImages() {
        return index.kind() != EmbeddingIndex.Kind.TEXT;
    }

    /** The image of a row (an image index only), decoded with the server's limits. */
    org.blip4j.image.RgbImage image(int row) throws IOException {
        return loader.load(Path.of(index.id(row)));
    }

    @Override
    public void close() throws IOException {
        index.close();
    }
}

package org.blip4j.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.blip4j.Blip;
import org.blip4j.hub.BundledModels;
import org.blip4j.image.RgbImage;
import org.blip4j.retrieval.EmbeddingIndex;

/**
 * The server most tests share (the three shapes models, an image index and a text index of the generated scenes, on
 * an ephemeral loopback port), started once per test JVM; and helpers for tests that need their own.
 */
final class TestServers {
    static final String IMAGES = "scenes";
    static final String TEXTS = "captions";
    /** The image index again, its candidates re-ranked by the shapes caption model instead of ITM. */
    static final String CAPTIONED = "scenes-captioned";

    private static BlipServer shared;
    private static Path indexRoot;

    private TestServers() {}

    /** The shared server: default config, port 0, indexes {@value #IMAGES}, {@value #TEXTS} and {@value #CAPTIONED}. */
    static synchronized BlipServer shared() {
        if (shared == null) {
            // one compute thread per lane: measured faster for the small shapes models under concurrency
            // (docs/serving.md)
            org.blip4j.engine.Engine.setThreads(1);
            try {
                Path root = indexes();
                ServerConfig cfg = ServerConfig.defaults()
                        .withPort(0)
                        .withIndexes(List.of(
                                new ServerConfig.IndexSpec(IMAGES, root.resolve(IMAGES), null),
                                new ServerConfig.IndexSpec(TEXTS, root.resolve(TEXTS), "shapes/retrieval"),
                                new ServerConfig.IndexSpec(
                                        CAPTIONED, root.resolve(IMAGES), "shapes/retrieval", "shapes/caption")));
                shared = BlipServer.start(cfg);
                Runtime.getRuntime().addShutdownHook(new Thread(shared::close));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return shared;
    }

    /** Index folders built from the scenes with the shapes retrieval model (images: file paths; texts: captions). */
    static synchronized Path indexes() throws IOException {
        if (indexRoot == null) {
            Path root = Files.createTempDirectory("blip4j-server-indexes");
            try (Blip blip = Blip.load(BundledModels.resolve("shapes/retrieval"))) {
                List<String> ids = new ArrayList<>();
                List<RgbImage> images = new ArrayList<>();
                List<String> captions = new ArrayList<>();
                for (Scenes.Scene s : Scenes.all()) {
                    ids.add(s.file().toAbsolutePath().toString());
                    images.add(blip.readImage(s.file()));
                    captions.add(s.caption());
                }
                int dim = blip.config().embedDim();
                try (EmbeddingIndex idx = EmbeddingIndex.create(root.resolve(IMAGES), dim, EmbeddingIndex.Kind.IMAGE)) {
                    idx.append(ids, List.of(blip.imageEmbeddings(images)));
                }
                try (EmbeddingIndex idx = EmbeddingIndex.create(root.resolve(TEXTS), dim, EmbeddingIndex.Kind.TEXT)) {
                    idx.append(captions, List.of(blip.textEmbeddings(captions)));
                }
            }
            indexRoot = root;
        }
        return indexRoot;
    }

    /** A model of the shared server, for computing what a request should return with direct library calls. */
    static Blip blip(String name) {
        return shared().models().get(name).blip();
    }

    /** Decodes a scene as the server does. */
    static RgbImage image(Scenes.Scene s) {
        try {
            return shared().loader().load(s.png(), "scene");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package org.blip4j.spark;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkFiles;
import org.blip4j.Blip;
import org.blip4j.engine.Engine;
import org.blip4j.hub.ModelSource;

/**
 * The models of one JVM (driver or executor), keyed by the model path a job names, each loaded once on first use and
 * shared by every task that runs there ({@link Blip} is thread-safe) for the life of the JVM.
 */
final class ModelCache {
    private static final ConcurrentHashMap<String, Blip> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();
    private static volatile int threads;

    private ModelCache() {}

    /**
     * The model {@code spec} names: a local folder or weight file every executor can read, a file shipped with
     * {@code spark-submit --files} / {@code --archives} (found by its name in the task's working directory or through
     * {@link SparkFiles}), or a Hugging Face id in the executor's Hugging Face cache.
     *
     * @param role what the model is for ({@code captioner}, {@code filter}, {@code model}), to name it in errors
     */
    static Blip get(String spec, String role) throws IOException {
        try {
            return MODELS.computeIfAbsent(spec, s -> {
                try {
                    Blip b = Blip.load(resolve(s));
                    LOADS.incrementAndGet();
                    return b;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (RuntimeException e) {
                    throw new UncheckedIOException(new IOException(e.getMessage(), e));
                }
            });
        } catch (UncheckedIOException e) {
            String m = String.valueOf(e.getCause().getMessage());
            throw new ModelException(
                    (role.equals("model") ? "model " : role + " model ") + (m.startsWith(spec) ? m : spec + ": " + m),
                    e.getCause());
        }
    }

    private static Path resolve(String spec) throws IOException {
        Path local = Path.of(spec);
        if (!Files.exists(local) && !spec.contains("://")) {
            try { // shipped with --files / --archives: SparkFiles knows the file name
                File shipped = new File(SparkFiles.get(local.getFileName().toString()));
                if (shipped.exists()) {
                    return shipped.toPath();
                }
            } catch (RuntimeException e) {
                // no SparkContext or SparkEnv in this JVM: not a Spark task, nothing shipped
            }
        }
        return ModelSource.resolve(spec);
    }

    /**
     * Sets the engine's intra-op threads for this JVM (libtorch's pool and OpenBLAS are process-wide, so every task
     * of an executor uses the same count); idempotent.
     */
    static void threads(int n) {
        if (threads != n) {
            synchronized (ModelCache.class) {
                if (threads != n) {
                    Engine.setThreads(n);
                    threads = n;
                }
            }
        }
    }

    /** How many models this JVM has loaded so far (tests check that tasks share them). */
    static int loads() {
        return LOADS.get();
    }

    /** A model that could not be loaded; the message names the role, the path and the problem. */
    static final class ModelException extends IOException {
        private static final long serialVersionUID = 1L;

        ModelException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}

package org.blip4j.hub;

/** Receives download progress: called when a file starts (done 0), as bytes arrive, and when it is complete. */
@FunctionalInterface
public interface DownloadListener {
    /** Ignores all progress. */
    DownloadListener NONE = (file, done, total) -> {};

    /**
     * @param file the repository file being downloaded, e.g. {@code model.safetensors}
     * @param done bytes of it on disk so far (a resumed download starts above 0)
     * @param total its size in bytes, or -1 when the server does not say
     */
    void progress(String file, long done, long total);
}

package org.blip4j.image;

import java.io.IOException;

/**
 * The single exception {@link ImageLoader} throws when an image cannot be turned into RGB pixels (missing, empty,
 * truncated, corrupt, unsupported, or over the decompression-bomb limit); the Java counterpart of the {@code OSError}
 * / {@code DecompressionBombError} that Pillow's {@code Image.open(...).convert("RGB")} raises.
 *
 * <p>The message always reads {@code "<source>: <problem>"}.
 */
public class ImageDecodeException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final String problem;

    public ImageDecodeException(String source, String problem) {
        this(source, problem, null);
    }

    public ImageDecodeException(String source, String problem, Throwable cause) {
        super(source + ": " + problem, cause);
        this.source = source;
        this.problem = problem;
    }

    /** The file path or display name of the image. */
    public String source() {
        return source;
    }

    /** What went wrong, without the source. */
    public String problem() {
        return problem;
    }
}

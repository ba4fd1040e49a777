package org.blip4j.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A malformed annotation file or entry; the message names the file and, for a bad entry, its 0-based index (and its
 * line for JSON Lines), the counterpart of the {@code KeyError}/{@code TypeError} BLIP's {@code data/*.py} would raise.
 */
public class AnnotationException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final int entry;

    /**
     * @param file the annotation file
     * @param entry 0-based entry index, or -1 when the problem is not tied to one entry
     * @param line 1-based line number for JSON Lines entries, or -1
     */
    public AnnotationException(Path file, int entry, int line, String problem) {
        this(file, String.valueOf(file), entry, line, problem, null);
    }

    public AnnotationException(Path file, String problem, Throwable cause) {
        this(file, String.valueOf(file), -1, -1, problem, cause);
    }

    /**
     * A problem in an annotation stream that is not a local file (e.g. one read through a Hadoop file system);
     * {@link #file()} is then null and {@code source} names it in the message.
     */
    public AnnotationException(String source, int entry, int line, String problem, Throwable cause) {
        this(null, source, entry, line, problem, cause);
    }

    private AnnotationException(Path file, String source, int entry, int line, String problem, Throwable cause) {
        super(
                source + (entry >= 0 ? ": entry " + entry + (line > 0 ? " (line " + line + ")" : "") : "") + ": "
                        + problem,
                cause);
        this.file = file;
        this.entry = entry;
    }

    /** The annotation file, or null for a stream that is not a local file. */
    public Path file() {
        return file;
    }

    /** The 0-based index of the bad entry, or -1. */
    public int entry() {
        return entry;
    }
}

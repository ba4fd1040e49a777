package org.blip4j.io;

import java.io.IOException;
import java.nio.file.Path;

/** A checkpoint or tensor file is missing, truncated, corrupt or not allowed; the message names the file. */
public class CheckpointFormatException extends IOException {
    private final Path file;

    public CheckpointFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public CheckpointFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file the problem is in. */
    public Path file() {
        return file;
    }
}

package org.blip4j.cli;

import java.io.FileNotFoundException;
import java.nio.file.NoSuchFileException;

/** Turns exceptions into one-line messages for users (stack traces only with --verbose). */
final class Messages {
    private Messages() {}

    static String describe(Throwable e) {
        Throwable t = e;
        while ((t.getMessage() == null || t.getMessage().isBlank()) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof NoSuchFileException n) {
            return n.getFile() + ": file not found";
        }
        if (t instanceof FileNotFoundException
                || t instanceof java.io.IOException
                || t instanceof IllegalArgumentException
                || t instanceof UnsupportedOperationException
                || t instanceof org.blip4j.dist.DistributedException) {
            return t.getMessage();
        }
        String msg = t.getMessage();
        return (msg == null
                        ? t.getClass().getSimpleName()
                        : msg.lines().findFirst().orElse(msg)) + " ("
                + t.getClass().getSimpleName() + "; --verbose shows details)";
    }
}

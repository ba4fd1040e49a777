package org.blip4j.capfilt;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Write-then-rename helpers: a reader, or a run restarted after a kill, sees a file either whole or not at all. */
final class AtomicFiles {
    /** Suffix of files being written; leftovers of a killed run are deleted when it restarts. */
    static final String TMP = ".tmp";

    private AtomicFiles() {}

    /** The temporary name {@code file} is written under before {@link #commit}. */
    static Path tmp(Path file) {
        return file.resolveSibling(file.getFileName() + TMP);
    }

    /** Flushes {@code tmp} to disk and renames it to {@code file}, replacing any older version. */
    static void commit(Path tmp, Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Writes {@code text} (UTF-8) to {@code file} atomically. */
    static void writeString(Path file, String text) throws IOException {
        write(file, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {@code bytes} to {@code file} atomically. */
    static void write(Path file, byte[] bytes) throws IOException {
        Path tmp = tmp(file);
        try (OutputStream out = Files.newOutputStream(tmp)) {
            out.write(bytes);
        }
        commit(tmp, file);
    }
}

package org.blip4j.hub;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One repository's folder in the Hugging Face cache, laid out as {@code huggingface_hub} writes it:
 * {@code refs/<revision>} holds a commit hash, {@code blobs/<etag>} the file contents, {@code snapshots/<commit>/<file>}
 * relative symlinks into {@code blobs/}, and {@code .no_exist/<commit>/<file>} empty markers for files the repository
 * does not have.
 */
final class HubCache {
    private static final Logger LOG = LoggerFactory.getLogger(HubCache.class);
    private static final Map<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

    private final Path root;
    private final Path repoDir;
    private final HubId id;

    HubCache(Path cacheDir, HubId id) {
        this.root = cacheDir;
        this.id = id;
        this.repoDir = cacheDir.resolve(id.folderName());
    }

    Path repoDir() {
        return repoDir;
    }

    Path snapshot(String commit) {
        return repoDir.resolve("snapshots").resolve(commit);
    }

    Path blob(String etag) {
        return repoDir.resolve("blobs").resolve(etag);
    }

    Path incomplete(String etag) {
        return repoDir.resolve("blobs").resolve(etag + ".incomplete");
    }

    /** The commit a revision points to in this cache, or null when the cache knows nothing about it. */
    String commitFor(String revision) throws IOException {
        if (HubId.isCommitHash(revision)) {
            return Files.isDirectory(snapshot(revision)) ? revision : null;
        }
        Path ref = repoDir.resolve("refs").resolve(revision);
        if (!Files.isRegularFile(ref)) {
            return null;
        }
        String commit = Files.readString(ref, StandardCharsets.UTF_8).trim();
        return HubId.isCommitHash(commit) ? commit : null;
    }

    /** Points {@code refs/<revision>} at a commit (nothing for a revision that is itself the commit). */
    void writeRef(String revision, String commit) throws IOException {
        if (revision.equals(commit)) {
            return;
        }
        Path ref = repoDir.resolve("refs").resolve(revision);
        if (commit.equals(readOrNull(ref))) {
            return;
        }
        Files.createDirectories(ref.getParent());
        Path tmp = Files.createTempFile(ref.getParent(), ".ref", ".tmp");
        Files.writeString(tmp, commit, StandardCharsets.UTF_8);
        move(tmp, ref);
    }

    /** Whether the snapshot has the file (a symlink must resolve to a regular file). */
    boolean has(String commit, String file) {
        return Files.isRegularFile(snapshot(commit).resolve(file));
    }

    /** Whether a {@code .no_exist} marker says the repository lacks this file at that commit. */
    boolean knownMissing(String commit, String file) {
        return Files.exists(repoDir.resolve(".no_exist").resolve(commit).resolve(file));
    }

    void markMissing(String commit, String file) throws IOException {
        Path marker = repoDir.resolve(".no_exist").resolve(commit).resolve(file);
        if (!Files.exists(marker)) {
            Files.createDirectories(marker.getParent());
            Files.write(marker, new byte[0]);
        }
    }

    /**
     * Makes {@code snapshots/<commit>/<file>} point at a finished blob: a relative symlink as {@code huggingface_hub}
     * makes, or, where the file system refuses symlinks, a copy (moved into place atomically either way).
     */
    void link(String commit, String file, Path blob) throws IOException {
        Path target = snapshot(commit).resolve(file);
        Files.createDirectories(target.getParent());
        Path tmp = target.resolveSibling("." + target.getFileName() + "."
                + ProcessHandle.current().pid() + "." + Thread.currentThread().getId() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createSymbolicLink(tmp, target.getParent().relativize(blob));
        } catch (UnsupportedOperationException | IOException | SecurityException e) {
            LOG.debug("symlinks unavailable in {} ({}); copying {}", target.getParent(), e.toString(), file);
            Files.deleteIfExists(tmp);
            Files.copy(blob, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        move(tmp, target);
    }

    /** Runs an action under a lock on one blob, shared by the threads of this JVM and by other processes. */
    <T> T locked(String etag, IoAction<T> action) throws IOException {
        Path lockFile = root.resolve(".locks").resolve(id.folderName()).resolve(etag + ".lock");
        Files.createDirectories(lockFile.getParent());
        ReentrantLock jvm = JVM_LOCKS.computeIfAbsent(lockFile.toAbsolutePath().normalize(), k -> new ReentrantLock());
        jvm.lock();
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock lock;
            try {
                lock = ch.lock();
            } catch (IOException e) { // e.g. a network file system without locks: this JVM's lock still holds
                LOG.debug("cannot lock {} ({}); going on without a cross-process lock", lockFile, e.toString());
                lock = null;
            }
            try {
                return action.run();
            } finally {
                if (lock != null) {
                    lock.release();
                }
            }
        } finally {
            jvm.unlock();
        }
    }

    /** An action that may throw {@link IOException}. */
    interface IoAction<T> {
        T run() throws IOException;
    }

    static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String readOrNull(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return null;
        }
    }
}

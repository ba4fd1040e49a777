package org.blip4j.hub;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Hugging Face model id with its revision, {@code owner/name[@revision]}, as written on the command line.
 *
 * @param repo {@code owner/name}
 * @param revision branch, tag or commit hash ({@code main} when none is given)
 */
public record HubId(String repo, String revision) {
    /** The revision used when a spec names none. */
    public static final String DEFAULT_REVISION = "main";

    private static final String PART = "[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_-])?";
    private static final Pattern SPEC = Pattern.compile("(" + PART + "/" + PART + ")(?:@(.+))?");
    private static final Pattern REVISION = Pattern.compile("[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    /** A name ending like a weight file is a mistyped local path, not a repository. */
    private static final Pattern FILE_LIKE = Pattern.compile("(?i).*\\.(safetensors|pth|pt|bin|ckpt|json|txt)");

    public HubId {
        if (!SPEC.matcher(repo).matches() || repo.contains("--") || repo.contains("..")) {
            throw new IllegalArgumentException("not a Hugging Face model id (owner/name): " + repo);
        }
        if (!validRevision(revision)) {
            throw new IllegalArgumentException("invalid revision '" + revision + "' in " + repo);
        }
    }

    /** Parses {@code owner/name} or {@code owner/name@revision}; empty when the text cannot be a hub id. */
    public static Optional<HubId> parse(String spec) {
        if (spec == null) {
            return Optional.empty();
        }
        Matcher m = SPEC.matcher(spec.trim());
        if (!m.matches()) {
            return Optional.empty();
        }
        String repo = m.group(1);
        String rev = m.group(2) == null ? DEFAULT_REVISION : m.group(2);
        if (repo.contains("--")
                || repo.contains("..")
                || FILE_LIKE.matcher(repo).matches()
                || !validRevision(rev)) {
            return Optional.empty();
        }
        return Optional.of(new HubId(repo, rev));
    }

    private static boolean validRevision(String rev) {
        return rev != null && REVISION.matcher(rev).matches() && !rev.contains("..") && rev.length() <= 256;
    }

    /** Whether the revision is a full commit hash (then no {@code refs/} entry is needed). */
    public boolean isCommit() {
        return COMMIT.matcher(revision).matches();
    }

    static boolean isCommitHash(String s) {
        return s != null && COMMIT.matcher(s).matches();
    }

    /** The cache folder name, {@code models--owner--name}, as {@code huggingface_hub} names it. */
    public String folderName() {
        return "models--" + repo.replace("/", "--");
    }

    @Override
    public String toString() {
        return DEFAULT_REVISION.equals(revision) ? repo : repo + "@" + revision;
    }
}

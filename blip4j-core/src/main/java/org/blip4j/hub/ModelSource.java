package org.blip4j.hub;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a {@code --model} spec into a local path for {@link org.blip4j.ModelFiles#resolve}: an existing file or folder
 * as is, else an embedded model ({@code shapes}, {@code shapes/retrieval}, … see {@link BundledModels}), else a
 * Hugging Face id {@code owner/name[@revision]} resolved to its snapshot folder in the standard Hugging
 * Face cache, downloading the files BLIP needs when they are not there yet.
 *
 * <p>The cache is shared with Python's {@code huggingface_hub} in both directions (same folder, same
 * {@code refs/ blobs/ snapshots/ .no_exist/} layout, same {@code blobs/<etag>.incomplete} partial files). A
 * snapshot that already has everything is used without any network request, even for a branch such as {@code main}
 * (pin {@code @<commit>} or delete the {@code refs/} entry to pick up a newer commit). Downloads resume, are verified
 * against the hub's checksums (see {@link HubClient}), and only appear in {@code snapshots/} once complete and verified.
 *
 * <p>Files fetched: {@code config.json}; {@code model.safetensors}, else {@code pytorch_model.bin} (never TF/Flax
 * weights); and those of {@code tokenizer.json}, {@code vocab.txt}, {@code tokenizer_config.json},
 * {@code special_tokens_map.json}, {@code added_tokens.json}, {@code preprocessor_config.json} the repository has.
 */
public final class ModelSource {
    private static final Logger LOG = LoggerFactory.getLogger(ModelSource.class);

    static final String CONFIG = "config.json";
    static final List<String> WEIGHTS = List.of("model.safetensors", "pytorch_model.bin");
    static final List<String> TOKENIZERS = List.of("tokenizer.json", "vocab.txt");
    static final List<String> OPTIONAL = List.of(
            "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "preprocessor_config.json");
    private static final Pattern SAFE_BLOB = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._=+-]{0,199}");

    private ModelSource() {}

    /** Resolves a spec with settings from the environment ({@link HubSettings#fromEnvironment()}). */
    public static Path resolve(String spec) throws IOException {
        return resolve(spec, HubSettings.fromEnvironment(), DownloadListener.NONE);
    }

    public static Path resolve(String spec, HubSettings settings) throws IOException {
        return resolve(spec, settings, DownloadListener.NONE);
    }

    /**
     * Resolves a spec: an existing local path is returned unchanged; a hub id gives its cached snapshot folder,
     * downloading what is missing unless {@link HubSettings#offline()}.
     *
     * @throws FileNotFoundException when the spec is neither an existing path nor a hub id
     * @throws HubException when the model is not cached and cannot be downloaded (offline, unreachable, not found,
     *     gated, checksum mismatch), with a message for the user
     */
    public static Path resolve(String spec, HubSettings settings, DownloadListener listener) throws IOException {
        return resolve(spec, settings, listener, new HubClient(settings));
    }

    static Path resolve(String spec, HubSettings settings, DownloadListener listener, HubClient client)
            throws IOException {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException(
                    "no model given: pass a local folder, a weight file or a Hugging Face id");
        }
        Optional<Path> local = localPath(spec);
        if (local.isPresent()) {
            return local.get();
        }
        if (BundledModels.isBundled(spec)) {
            return BundledModels.resolve(spec);
        }
        HubId id = HubId.parse(spec)
                .orElseThrow(() -> new FileNotFoundException(spec + ": model path not found, and not "
                        + "a Hugging Face id such as Salesforce/blip-image-captioning-base"));
        return new Resolver(id, settings, listener == null ? DownloadListener.NONE : listener, client).run();
    }

    /** The hub id a spec names, or empty when it is an existing local path or cannot be an id. */
    public static Optional<HubId> hubId(String spec) {
        return localPath(spec).isPresent() ? Optional.empty() : HubId.parse(spec);
    }

    /** The folder {@code models--owner--name} of an id in the cache of these settings. */
    public static Path cacheFolder(HubId id, HubSettings settings) {
        return settings.cacheDir().resolve(id.folderName());
    }

    private static Optional<Path> localPath(String spec) {
        try {
            Path p = Path.of(spec);
            return Files.exists(p) ? Optional.of(p) : Optional.empty();
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
    }

    /** What a cached snapshot holds: nothing useful, enough to load, or everything a download would fetch. */
    enum State {
        MISSING,
        USABLE,
        COMPLETE
    }

    /**
     * Enough to load: a config, weights and a tokenizer. Complete: also every optional file is there or marked absent in
     * {@code .no_exist/} (files a present {@code tokenizer.json} supersedes are not needed).
     */
    static State state(HubCache cache, String commit) {
        if (commit == null
                || !cache.has(commit, CONFIG)
                || WEIGHTS.stream().noneMatch(f -> cache.has(commit, f))
                || TOKENIZERS.stream().noneMatch(f -> cache.has(commit, f))) {
            return State.MISSING;
        }
        List<String> needed = new ArrayList<>(
                List.of("tokenizer_config.json", "special_tokens_map.json", "preprocessor_config.json"));
        if (!cache.has(commit, "tokenizer.json")) {
            needed.add("tokenizer.json");
            needed.add("added_tokens.json");
        }
        for (String f : needed) {
            if (!cache.has(commit, f) && !cache.knownMissing(commit, f)) {
                return State.USABLE;
            }
        }
        return State.COMPLETE;
    }

    /** The files to fetch from a repository listing; fails when BLIP cannot be loaded from it. */
    static List<String> plan(HubId id, Set<String> files) throws HubException {
        String listing = files.stream().sorted().limit(30).toList() + (files.size() > 30 ? " …" : "");
        if (!files.contains(CONFIG)) {
            throw new HubException(id + " has no config.json, so it is not a Hugging Face transformers model "
                    + "(files: " + listing + ")");
        }
        List<String> plan = new ArrayList<>();
        plan.add(CONFIG);
        String weights = WEIGHTS.stream()
                .filter(files::contains)
                .findFirst()
                .orElseThrow(() -> new HubException(id
                        + " has neither model.safetensors nor pytorch_model.bin"
                        + (files.stream().anyMatch(f -> f.endsWith(".index.json"))
                                ? " (sharded checkpoints are not supported)"
                                : "")
                        + "; files: " + listing));
        List<String> tokenizers = TOKENIZERS.stream().filter(files::contains).toList();
        if (tokenizers.isEmpty()) {
            throw new HubException(id + " has no tokenizer (tokenizer.json or vocab.txt); files: " + listing);
        }
        plan.addAll(tokenizers);
        OPTIONAL.stream().filter(files::contains).forEach(plan::add);
        plan.add(weights); // largest last, after the cheap checks
        return plan;
    }

    /** One resolution of a hub id. */
    private static final class Resolver {
        private final HubId id;
        private final HubSettings settings;
        private final DownloadListener listener;
        private final HubClient client;
        private final HubCache cache;

        Resolver(HubId id, HubSettings settings, DownloadListener listener, HubClient client) {
            this.id = id;
            this.settings = settings;
            this.listener = listener;
            this.client = client;
            this.cache = new HubCache(settings.cacheDir(), id);
        }

        Path run() throws IOException {
            String cachedCommit = cache.commitFor(id.revision());
            State state = state(cache, cachedCommit);
            if (state == State.COMPLETE) {
                LOG.debug("{}: using cached snapshot {}", id, cachedCommit);
                return cache.snapshot(cachedCommit);
            }
            if (settings.offline()) {
                if (state == State.USABLE) {
                    return cache.snapshot(cachedCommit);
                }
                throw new HubException(
                        id + " is not in the Hugging Face cache (" + cache.repoDir() + ") and HF_HUB_OFFLINE "
                                + "is set; download it on a connected machine or pass a local folder");
            }
            try {
                return download();
            } catch (IOException e) {
                if (state == State.USABLE) {
                    LOG.warn(
                            "{}: could not update the cached snapshot {} ({}); using it as it is",
                            id,
                            cachedCommit,
                            e.getMessage());
                    return cache.snapshot(cachedCommit);
                }
                if (HubClient.unreachable(e)) {
                    throw new HubException(
                            "cannot reach " + settings.endpoint() + " to download " + id + " (" + HubClient.describe(e)
                                    + "), and "
                                    + "it is not in the Hugging Face cache (" + cache.repoDir()
                                    + "); connect to the network, set "
                                    + "HF_ENDPOINT to a reachable mirror, or pass a local model folder",
                            e);
                }
                throw e;
            }
        }

        private Path download() throws IOException {
            HubClient.RepoInfo info = client.repoInfo(id);
            String commit = info.sha();
            Set<String> files = new HashSet<>(info.files());
            List<String> plan = plan(id, files);
            for (String file : plan) {
                if (!cache.has(commit, file)) {
                    fetch(commit, file);
                }
            }
            for (String f : ModelSource.allWanted()) {
                if (!files.contains(f)) {
                    cache.markMissing(commit, f);
                }
            }
            cache.writeRef(id.revision(), commit);
            return cache.snapshot(commit);
        }

        private void fetch(String commit, String file) throws IOException {
            HubClient.FileMeta meta = client.head(id, commit, file);
            String etag = meta.etag();
            String blobName = etag != null && SAFE_BLOB.matcher(etag).matches() ? etag : null;
            if (blobName != null && Files.isRegularFile(cache.blob(blobName))) {
                cache.link(commit, file, cache.blob(blobName)); // same content already cached for another commit
                return;
            }
            String lockName = blobName != null
                    ? blobName
                    : "nometa-"
                            + Checksums.sha256((id.repo() + "/" + commit + "/" + file)
                                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            cache.locked(lockName, () -> {
                if (blobName != null && Files.isRegularFile(cache.blob(blobName))) {
                    cache.link(commit, file, cache.blob(blobName));
                    return null;
                }
                Path incomplete = cache.incomplete(lockName);
                LOG.debug("{}: downloading {} ({} bytes) into {}", id, file, meta.size(), incomplete);
                String sha = client.download(id, commit, file, meta, incomplete, listener);
                String name = blobName != null ? blobName : sha != null ? sha : Checksums.sha256(incomplete);
                Path blob = cache.blob(name);
                HubCache.move(incomplete, blob);
                cache.link(commit, file, blob);
                return null;
            });
        }
    }

    /** Every name a download considers; those the repository lacks get a {@code .no_exist} marker. */
    static List<String> allWanted() {
        List<String> all = new ArrayList<>(WEIGHTS);
        all.addAll(TOKENIZERS);
        all.addAll(OPTIONAL);
        return all;
    }
}

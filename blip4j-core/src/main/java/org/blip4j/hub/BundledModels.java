package org.blip4j.hub;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The models that ship inside blip4j (the {@code blip4j-models} jar): the small {@code shapes} BLIP trained by
 * {@code bin/train-shapes} on the synthetic shapes world. A spec {@code shapes} (the captioner) or
 * {@code shapes/caption}, {@code shapes/retrieval}, {@code shapes/vqa} names one; it is read straight from the
 * classpath folder when blip4j runs from a build tree, else extracted once into {@code ~/.cache/blip4j/models}.
 */
public final class BundledModels {
    /** The name of the embedded model family. */
    public static final String SHAPES = "shapes";
    /** Its parts, one fine-tuned network each. */
    public static final List<String> PARTS = List.of("caption", "retrieval", "vqa");

    private static final String ROOT = "org/blip4j/models/";
    private static final List<String> FILES = List.of(
            "config.json",
            "model.safetensors",
            "vocab.txt",
            "preprocessor_config.json",
            "generation_config.json",
            "tokenizer.json",
            "tokenizer_config.json",
            "special_tokens_map.json");

    private BundledModels() {}

    /** Whether a spec names an embedded model ({@code shapes} or {@code shapes/<part>}). */
    public static boolean isBundled(String spec) {
        String s = spec.toLowerCase(Locale.ROOT);
        return s.equals(SHAPES) || s.startsWith(SHAPES + "/");
    }

    /**
     * The ITM first token an embedded model is scored with: {@code [ENC]}, the token its ITM was trained with (BLIP's
     * ITM training and retrieval evaluation), where {@code spec} names one and no local path of that name exists;
     * otherwise {@code [CLS]}, as BLIP_ITM and Hugging Face score the released checkpoints.
     */
    public static org.blip4j.Blip.MatchToken matchToken(String spec) {
        boolean embedded = spec != null && isBundled(spec) && !java.nio.file.Files.exists(Path.of(spec));
        return embedded ? org.blip4j.Blip.MatchToken.ENC : org.blip4j.Blip.MatchToken.CLS;
    }

    /**
     * The local folder of an embedded model, extracting it on first use.
     *
     * @throws FileNotFoundException for an unknown part, or when the blip4j-models jar is not on the classpath
     */
    public static Path resolve(String spec) throws IOException {
        String s = spec.toLowerCase(Locale.ROOT);
        String part = s.equals(SHAPES) ? "caption" : s.substring(SHAPES.length() + 1);
        if (!PARTS.contains(part)) {
            throw new FileNotFoundException(spec + ": no such embedded model; the shapes model has the parts "
                    + String.join(
                            ", ", PARTS.stream().map(p -> SHAPES + "/" + p).toList()));
        }
        String dir = ROOT + SHAPES + "/" + part + "/";
        ClassLoader cl = Optional.ofNullable(Thread.currentThread().getContextClassLoader())
                .orElse(BundledModels.class.getClassLoader());
        URL config = cl.getResource(dir + "config.json");
        if (config == null) {
            throw new FileNotFoundException(spec + ": the embedded shapes model is not on the classpath (add the "
                    + "org.blip4j:blip4j-models jar, or pass a model folder)");
        }
        if (config.getProtocol().equals("file")) { // build tree: use the folder in place
            try {
                return Path.of(config.toURI()).getParent();
            } catch (URISyntaxException e) {
                throw new IOException(config + ": " + e.getMessage(), e);
            }
        }
        return extract(cl, dir, SHAPES + "-" + part);
    }

    /** Copies a resource folder into the cache under a name keyed by its files' SHA-256 prefix (atomic rename). */
    private static Path extract(ClassLoader cl, String dir, String name) throws IOException {
        String hash;
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (String f : FILES) { // every file, so a changed config or generation_config is a new folder too
                try (InputStream in = cl.getResourceAsStream(dir + f)) {
                    if (in == null) {
                        if (f.equals("model.safetensors")) {
                            throw new FileNotFoundException(dir + f + ": missing from the blip4j-models jar");
                        }
                        continue;
                    }
                    md.update(f.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    for (int n; (n = in.read(buf)) > 0; ) {
                        md.update(buf, 0, n);
                    }
                }
            }
            hash = HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Path cache = cacheRoot();
        Path target = cache.resolve(name + "-" + hash);
        if (Files.isRegularFile(target.resolve("config.json"))) {
            return target;
        }
        Files.createDirectories(cache);
        Path tmp = Files.createTempDirectory(cache, name + ".tmp");
        for (String f : FILES) {
            try (InputStream in = cl.getResourceAsStream(dir + f)) {
                if (in != null) {
                    Files.copy(in, tmp.resolve(f));
                }
            }
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException
                | java.nio.file.FileAlreadyExistsException
                | java.nio.file.DirectoryNotEmptyException e) {
            if (!Files.isRegularFile(target.resolve("config.json"))) {
                throw e;
            } // another process extracted it first
            try (var files = Files.list(tmp)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(tmp);
        }
        return target;
    }

    /** {@code $BLIP4J_CACHE}, else {@code $XDG_CACHE_HOME/blip4j/models}, else {@code ~/.cache/blip4j/models}. */
    static Path cacheRoot() {
        String own = System.getenv("BLIP4J_CACHE");
        if (own != null && !own.isBlank()) {
            return Path.of(own, "models");
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("blip4j").resolve("models");
    }
}

package org.blip4j.hub;

import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Where and how to reach the Hugging Face hub: endpoint, cache folder, offline switch and access token, read from the
 * same environment variables as Python's {@code huggingface_hub} so both share one cache.
 *
 * @param endpoint hub base URL ({@code HF_ENDPOINT}, default {@code https://huggingface.co}), without a trailing slash
 * @param cacheDir the hub cache folder holding {@code models--owner--name/} ({@code HF_HUB_CACHE}, else
 *     {@code $HF_HOME/hub}, else {@code ~/.cache/huggingface/hub})
 * @param offline never touch the network ({@code HF_HUB_OFFLINE} = 1/true/yes/on)
 * @param token bearer token for private or gated models ({@code HF_TOKEN}, else the file {@code huggingface-cli login}
 *     writes), or null
 */
public record HubSettings(URI endpoint, Path cacheDir, boolean offline, String token) {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HubSettings.class);

    /** The public hub. */
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    public HubSettings {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(cacheDir, "cacheDir");
        String e = endpoint.toString();
        while (e.endsWith("/")) {
            e = e.substring(0, e.length() - 1);
        }
        endpoint = URI.create(e);
        if (endpoint.getScheme() == null || endpoint.getHost() == null) {
            throw new IllegalArgumentException("hub endpoint must be an absolute http(s) URL: " + endpoint);
        }
        if (token != null && token.isBlank()) {
            token = null;
        }
    }

    /** Settings from this process's environment variables and home folder. */
    public static HubSettings fromEnvironment() {
        return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /**
     * Settings from the given variables, resolved as {@code huggingface_hub} does: {@code HF_HUB_CACHE} (or the legacy
     * {@code HUGGINGFACE_HUB_CACHE}), else {@code $HF_HOME/hub}, else {@code $XDG_CACHE_HOME/huggingface/hub}, else
     * {@code <home>/.cache/huggingface/hub}; {@code HF_HUB_OFFLINE} or {@code TRANSFORMERS_OFFLINE}; {@code HF_TOKEN},
     * else the token file ({@code HF_TOKEN_PATH}, default {@code $HF_HOME/token}).
     */
    public static HubSettings fromEnvironment(Map<String, String> env, Path home) {
        Path hfHome = nonBlank(env.get("HF_HOME")) != null
                ? Path.of(expand(env.get("HF_HOME"), home))
                : nonBlank(env.get("XDG_CACHE_HOME")) != null
                        ? Path.of(expand(env.get("XDG_CACHE_HOME"), home)).resolve("huggingface")
                        : home.resolve(".cache").resolve("huggingface");
        String hubCache = nonBlank(env.get("HF_HUB_CACHE")) != null
                ? env.get("HF_HUB_CACHE")
                : nonBlank(env.get("HUGGINGFACE_HUB_CACHE"));
        Path cache = hubCache != null ? Path.of(expand(hubCache, home)) : hfHome.resolve("hub");
        String endpoint = nonBlank(env.get("HF_ENDPOINT")) != null
                ? env.get("HF_ENDPOINT").trim()
                : DEFAULT_ENDPOINT;
        boolean offline = isTrue(env.get("HF_HUB_OFFLINE")) || isTrue(env.get("TRANSFORMERS_OFFLINE"));
        String token = nonBlank(env.get("HF_TOKEN"));
        if (token == null) {
            String tokenPath = nonBlank(env.get("HF_TOKEN_PATH"));
            token = readToken(tokenPath != null ? Path.of(expand(tokenPath, home)) : hfHome.resolve("token"));
        }
        return new HubSettings(URI.create(endpoint), cache, offline, token == null ? null : token.trim());
    }

    public HubSettings withOffline(boolean off) {
        return new HubSettings(endpoint, cacheDir, off, token);
    }

    public HubSettings withCacheDir(Path dir) {
        return new HubSettings(endpoint, dir, offline, token);
    }

    public HubSettings withEndpoint(URI uri) {
        return new HubSettings(uri, cacheDir, offline, token);
    }

    public HubSettings withToken(String t) {
        return new HubSettings(endpoint, cacheDir, offline, t);
    }

    /** {@code huggingface_hub}'s truth values: 1, true, yes, on (any case). */
    static boolean isTrue(String v) {
        return v != null
                && switch (v.trim().toLowerCase(Locale.ROOT)) {
                    case "1", "true", "yes", "on" -> true;
                    default -> false;
                };
    }

    private static String nonBlank(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static String expand(String p, Path home) {
        String t = p.trim();
        return t.equals("~")
                ? home.toString()
                : t.startsWith("~/") ? home.resolve(t.substring(2)).toString() : t;
    }

    /**
     * The token in {@code file}: none when there is no such file or it is empty (as {@code huggingface_hub}), none with a
     * warning when it exists but cannot be read.
     */
    private static String readToken(Path file) {
        if (!java.nio.file.Files.exists(file)) {
            return null;
        }
        try {
            String t = java.nio.file.Files.readString(file).trim();
            return t.isEmpty() ? null : t;
        } catch (java.io.IOException | SecurityException e) {
            String why = e instanceof java.nio.charset.CharacterCodingException ? "not UTF-8 text" : e.toString();
            LOG.warn("Hugging Face token file {} could not be read ({}); continuing without a token", file, why);
            return null;
        }
    }

    /** Never prints the token. */
    @Override
    public String toString() {
        return "HubSettings[endpoint=" + endpoint + ", cacheDir=" + cacheDir + ", offline=" + offline + ", token="
                + (token == null ? "none" : "***") + "]";
    }
}

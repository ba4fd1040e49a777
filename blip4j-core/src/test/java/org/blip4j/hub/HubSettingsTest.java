package org.blip4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Environment variables, id parsing and checksum helpers, without any network. */
class HubSettingsTest {
    @TempDir
    Path tmp;

    final Path home = Path.of("/home/someone");

    @Test
    void cacheFolderPrecedence() {
        assertEquals(
                home.resolve(".cache/huggingface/hub"),
                HubSettings.fromEnvironment(Map.of(), home).cacheDir());
        assertEquals(
                Path.of("/xdg/huggingface/hub"),
                HubSettings.fromEnvironment(Map.of("XDG_CACHE_HOME", "/xdg"), home)
                        .cacheDir());
        assertEquals(
                Path.of("/hf/hub"),
                HubSettings.fromEnvironment(Map.of("HF_HOME", "/hf", "XDG_CACHE_HOME", "/xdg"), home)
                        .cacheDir());
        assertEquals(
                Path.of("/cache"),
                HubSettings.fromEnvironment(Map.of("HF_HUB_CACHE", "/cache", "HF_HOME", "/hf"), home)
                        .cacheDir());
        assertEquals(
                Path.of("/legacy"),
                HubSettings.fromEnvironment(Map.of("HUGGINGFACE_HUB_CACHE", "/legacy"), home)
                        .cacheDir());
        assertEquals(
                home.resolve("hf/hub"),
                HubSettings.fromEnvironment(Map.of("HF_HOME", "~/hf"), home).cacheDir());
    }

    @Test
    void endpointOfflineAndToken() throws IOException {
        HubSettings d = HubSettings.fromEnvironment(Map.of("HF_HOME", tmp.toString()), home);
        assertEquals(URI.create("https://huggingface.co"), d.endpoint());
        assertFalse(d.offline());
        assertNull(d.token());
        assertEquals(
                URI.create("http://127.0.0.1:8080/mirror"),
                HubSettings.fromEnvironment(Map.of("HF_ENDPOINT", "http://127.0.0.1:8080/mirror/"), home)
                        .endpoint());
        for (String on : new String[] {"1", "true", "YES", "on"}) {
            assertTrue(
                    HubSettings.fromEnvironment(Map.of("HF_HUB_OFFLINE", on), home)
                            .offline(),
                    on);
        }
        for (String off : new String[] {"0", "false", "no", ""}) {
            assertFalse(
                    HubSettings.fromEnvironment(Map.of("HF_HUB_OFFLINE", off), home)
                            .offline(),
                    off);
        }
        assertTrue(HubSettings.fromEnvironment(Map.of("TRANSFORMERS_OFFLINE", "1"), home)
                .offline());
        assertEquals(
                "hf_abc",
                HubSettings.fromEnvironment(Map.of("HF_TOKEN", "hf_abc"), home).token());
        Files.writeString(tmp.resolve("token"), "hf_fromfile\n", StandardCharsets.UTF_8);
        assertEquals(
                "hf_fromfile",
                HubSettings.fromEnvironment(Map.of("HF_HOME", tmp.toString()), home)
                        .token());
        assertEquals(
                "hf_env",
                HubSettings.fromEnvironment(Map.of("HF_HOME", tmp.toString(), "HF_TOKEN", "hf_env"), home)
                        .token());
        HubSettings withToken = HubSettings.fromEnvironment(Map.of("HF_TOKEN", "hf_secret"), home);
        assertFalse(withToken.toString().contains("hf_secret"), withToken.toString());
        assertThrows(IllegalArgumentException.class, () -> d.withEndpoint(URI.create("no-scheme")));
    }

    @Test
    void hubIds() {
        HubId id = HubId.parse("Salesforce/blip-image-captioning-base").orElseThrow();
        assertEquals("Salesforce/blip-image-captioning-base", id.repo());
        assertEquals("main", id.revision());
        assertEquals("models--Salesforce--blip-image-captioning-base", id.folderName());
        assertFalse(id.isCommit());
        HubId pinned = HubId.parse("Salesforce/blip-vqa-base@0123456789abcdef0123456789abcdef01234567")
                .orElseThrow();
        assertTrue(pinned.isCommit());
        assertEquals("v1.0", HubId.parse("a/b.c@v1.0").orElseThrow().revision());
        assertEquals("refs/pr/3", HubId.parse("a/b@refs/pr/3").orElseThrow().revision());
        for (String notAnId : new String[] {
            "model",
            "./model",
            "/abs/model",
            "a/b/c",
            "models/x.safetensors",
            "dir/weights.pth",
            "a--b/c",
            "a/b@",
            "a/b@../x",
            "a/../b",
            "-a/b",
            "a/b."
        }) {
            assertEquals(Optional.empty(), HubId.parse(notAnId), notAnId);
        }
    }

    @Test
    void checksums() throws IOException {
        Path f = tmp.resolve("hello");
        Files.writeString(f, "hello\n", StandardCharsets.UTF_8);
        assertEquals("ce013625030ba8dba906f756967f9e9ca394464a", Checksums.gitBlobSha1(f)); // git hash-object
        assertEquals("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03", Checksums.sha256(f));
        assertTrue(Checksums.verify(f, "5891B5B522D5DF086D0FF0B110FBD9D21BB4FC7163AF34D08286A2E846F6BE03")
                .ok());
        assertTrue(
                Checksums.verify(f, "ce013625030ba8dba906f756967f9e9ca394464a").ok());
        assertFalse(
                Checksums.verify(f, "ce013625030ba8dba906f756967f9e9ca394464b").ok());
        assertTrue(Checksums.verify(f, "cdn-opaque-etag").ok(), "unknown etag forms are not verified");
        assertEquals("abc", HubClient.normalizeEtag("W/\"abc\""));
        assertEquals("abc", HubClient.normalizeEtag("\"abc\""));
        assertNull(HubClient.normalizeEtag("\"\""));
        assertEquals("refs%2Fpr%2F3", HubClient.seg("refs/pr/3"));
    }
}

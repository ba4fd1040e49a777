package org.blip4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.blip4j.Blip;
import org.blip4j.ModelFiles;
import org.blip4j.generate.GenerationConfig;
import org.blip4j.image.RgbImage;
import org.blip4j.testutil.Fixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resolving hub ids against a local fake hub: download layout, loading and captioning, cache hits, offline mode. */
class HubTest {
    static final String REPO = FakeHub.REPO;
    static final String COMMIT = FakeHub.COMMIT;
    static Path fixture;
    static String expectedCaption;

    @TempDir
    Path tmp;

    FakeHub hub;
    HubSettings settings;
    final List<long[]> progress = new ArrayList<>();
    final DownloadListener listener = (file, done, total) -> {
        if (file.equals("model.safetensors")) {
            progress.add(new long[] {done, total});
        }
    };

    @BeforeAll
    static void fixture() throws IOException {
        try (Fixture fx = Fixture.open()) {
            fixture = fx.dir();
            expectedCaption = fx.manifest().path("texts").path("greedy8").get(0).asText();
        }
    }

    /** A BLIP repository as the hub lists it: the fixture's decoder as model.safetensors, plus files not to fetch. */
    static Map<String, byte[]> repoFiles() throws IOException {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put(".gitattributes", "*.safetensors filter=lfs diff=lfs merge=lfs -text\n".getBytes(StandardCharsets.UTF_8));
        m.put("README.md", "# tiny BLIP\n".getBytes(StandardCharsets.UTF_8));
        m.put("config.json", Files.readAllBytes(fixture.resolve("config.json")));
        m.put("vocab.txt", Files.readAllBytes(fixture.resolve("vocab.txt")));
        m.put("model.safetensors", Files.readAllBytes(fixture.resolve("blip_decoder.hf.safetensors")));
        m.put("pytorch_model.bin", Files.readAllBytes(fixture.resolve("blip_decoder.pth")));
        m.put("tf_model.h5", new byte[4096]);
        return m;
    }

    static Set<String> lfsFiles() {
        return Set.of("model.safetensors", "pytorch_model.bin", "tf_model.h5");
    }

    @BeforeEach
    void start() throws IOException {
        hub = new FakeHub(repoFiles(), lfsFiles(), false);
        settings = new HubSettings(hub.endpoint(), tmp.resolve("hf-home").resolve("hub"), false, "hf_test_token");
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    Path resolve(String spec, HubSettings s) throws IOException {
        return ModelSource.resolve(spec, s, listener, new HubClient(s, 3, Duration.ZERO));
    }

    Path repoDir() {
        return settings.cacheDir().resolve("models--acme--blip-tiny");
    }

    static URI deadEndpoint() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return URI.create("http://127.0.0.1:" + s.getLocalPort());
        }
    }

    @Test
    void downloadsIntoTheHfCacheLayoutAndCaptions() throws Exception {
        Path snap = resolve(REPO, settings);
        assertEquals(repoDir().resolve("snapshots").resolve(COMMIT), snap);
        assertEquals(COMMIT, Files.readString(repoDir().resolve("refs/main")));

        byte[] weights = hub.file("model.safetensors");
        String sha = FakeHub.sha256(weights);
        Path link = snap.resolve("model.safetensors");
        assertTrue(Files.isSymbolicLink(link), "snapshot files are symlinks into blobs/");
        assertEquals(Path.of("..", "..", "blobs", sha), Files.readSymbolicLink(link));
        assertTrue(Files.isRegularFile(repoDir().resolve("blobs").resolve(sha)), "LFS blob named by its sha256");
        String configSha1 = FakeHub.gitSha1(hub.file("config.json"));
        assertEquals(Path.of("..", "..", "blobs", configSha1), Files.readSymbolicLink(snap.resolve("config.json")));
        assertTrue(Files.isSymbolicLink(snap.resolve("vocab.txt")));

        // only what BLIP needs; .no_exist markers for the files the repository lacks, as huggingface_hub writes
        List<String> fetched = hub.log().stream().map(FakeHub.Request::path).toList();
        for (String unwanted : List.of("pytorch_model.bin", "tf_model.h5", "README.md", ".gitattributes")) {
            assertTrue(fetched.stream().noneMatch(p -> p.endsWith("/" + unwanted)), unwanted + " fetched: " + fetched);
        }
        for (String absent : List.of(
                "tokenizer.json",
                "tokenizer_config.json",
                "special_tokens_map.json",
                "preprocessor_config.json",
                "added_tokens.json")) {
            assertTrue(
                    Files.exists(repoDir().resolve(".no_exist").resolve(COMMIT).resolve(absent)), absent);
        }
        try (Stream<Path> blobs = Files.list(repoDir().resolve("blobs"))) {
            assertTrue(blobs.noneMatch(p -> p.toString().endsWith(".incomplete")));
        }
        // token sent to the hub; the listener saw the weights complete
        assertTrue(hub.log().stream().allMatch(r -> "Bearer hf_test_token".equals(r.auth())));
        assertFalse(progress.isEmpty());
        assertEquals(weights.length, progress.get(progress.size() - 1)[0]);
        assertEquals(weights.length, progress.get(progress.size() - 1)[1]);

        ModelFiles files = ModelFiles.resolve(snap);
        assertEquals(snap.resolve("model.safetensors"), files.weights());
        try (Blip blip = Blip.load(snap)) {
            RgbImage img = blip.readImage(fixture.resolve("img0_80x60.png"));
            String caption = blip.caption(
                            List.of(img), Blip.CaptionOptions.defaults().withGeneration(GenerationConfig.greedy(12, 0)))
                    .get(0);
            assertEquals(expectedCaption, caption);
        }
    }

    @Test
    void secondResolveIsServedFromTheCacheWithoutHttp() throws IOException {
        Path first = resolve(REPO, settings);
        int requests = hub.requests.get();
        assertTrue(requests > 0);
        assertEquals(first, resolve(REPO, settings));
        assertEquals(first, resolve(REPO + "@" + COMMIT, settings));
        assertEquals(first, resolve(REPO, settings.withEndpoint(deadEndpoint())));
        assertEquals(requests, hub.requests.get(), "a complete snapshot needs no request");
    }

    @Test
    void offlineWithEmptyCacheFailsClearly() {
        HubException e = assertThrows(HubException.class, () -> resolve(REPO, settings.withOffline(true)));
        assertEquals(
                REPO + " is not in the Hugging Face cache (" + repoDir() + ") and HF_HUB_OFFLINE is set; download "
                        + "it on a connected machine or pass a local folder",
                e.getMessage());
        assertEquals(0, hub.requests.get());
    }

    @Test
    void offlineWithPopulatedCacheWorks() throws IOException {
        Path snap = resolve(REPO, settings);
        hub.close();
        int before = hub.requests.get();
        HubSettings off = settings.withOffline(true).withEndpoint(deadEndpoint());
        assertEquals(snap, resolve(REPO, off));
        assertEquals(snap, resolve(REPO + "@" + COMMIT, off));
        assertNotNull(ModelFiles.resolve(resolve(REPO, off)).hfConfig());
        assertEquals(before, hub.requests.get());
    }

    @Test
    void unreachableHubNamesTheIdAndTheCache() throws IOException {
        HubException e = assertThrows(HubException.class, () -> resolve(REPO, settings.withEndpoint(deadEndpoint())));
        assertTrue(e.getMessage().startsWith("cannot reach http://127.0.0.1:"), e.getMessage());
        assertTrue(e.getMessage().contains(REPO), e.getMessage());
        assertTrue(e.getMessage().contains(repoDir().toString()), e.getMessage());
        assertTrue(e.getMessage().contains("local model folder"), e.getMessage());
    }

    /** A cache as Python's huggingface_hub leaves it (symlinks into blobs, .no_exist markers) is used as is. */
    @Test
    void reusesACacheWrittenByHuggingFaceHub() throws IOException {
        Path repo = repoDir();
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), COMMIT);
        Path snap = Files.createDirectories(repo.resolve("snapshots").resolve(COMMIT));
        Path blobs = Files.createDirectories(repo.resolve("blobs"));
        for (String f : List.of("config.json", "vocab.txt", "model.safetensors")) {
            byte[] b = hub.file(f);
            String etag = f.endsWith(".safetensors") ? FakeHub.sha256(b) : FakeHub.gitSha1(b);
            Files.write(blobs.resolve(etag), b);
            Files.createSymbolicLink(snap.resolve(f), Path.of("..", "..", "blobs", etag));
        }
        Path noExist = Files.createDirectories(repo.resolve(".no_exist").resolve(COMMIT));
        for (String f : List.of(
                "tokenizer.json",
                "tokenizer_config.json",
                "special_tokens_map.json",
                "preprocessor_config.json",
                "added_tokens.json")) {
            Files.createFile(noExist.resolve(f));
        }
        assertEquals(snap, resolve(REPO, settings));
        assertEquals(0, hub.requests.get(), "complete Python cache: no request");
        assertEquals(snap, resolve(REPO, settings.withOffline(true)));

        // without the .no_exist markers the snapshot is usable but not known complete: online it is checked once
        try (Stream<Path> s = Files.list(noExist)) {
            for (Path p : s.toList()) {
                Files.delete(p);
            }
        }
        assertEquals(snap, resolve(REPO, settings.withOffline(true)));
        assertEquals(0, hub.requests.get());
        assertEquals(
                snap, resolve(REPO, settings.withEndpoint(deadEndpoint())), "unreachable: falls back to the cache");
        assertEquals(snap, resolve(REPO, settings));
        assertTrue(hub.log().stream().noneMatch(r -> r.path().endsWith("/model.safetensors")), "cached blob reused");
        int after = hub.requests.get();
        assertEquals(snap, resolve(REPO, settings));
        assertEquals(after, hub.requests.get(), "markers written: complete now");
    }

    @Test
    void incompleteCacheOfflineFails() throws IOException {
        Path snap = Files.createDirectories(repoDir().resolve("snapshots").resolve(COMMIT));
        Files.createDirectories(repoDir().resolve("refs"));
        Files.writeString(repoDir().resolve("refs/main"), COMMIT);
        Files.write(snap.resolve("config.json"), hub.file("config.json"));
        HubException e = assertThrows(HubException.class, () -> resolve(REPO, settings.withOffline(true)));
        assertTrue(e.getMessage().contains("HF_HUB_OFFLINE is set"), e.getMessage());
        // online, the missing files are added to the same snapshot
        assertEquals(snap, resolve(REPO, settings));
        assertTrue(Files.isRegularFile(snap.resolve("model.safetensors")));
    }

    @Test
    void revisionPinning() throws IOException {
        Path snap = resolve(REPO + "@" + COMMIT, settings);
        assertEquals(repoDir().resolve("snapshots").resolve(COMMIT), snap);
        assertTrue(Files.notExists(repoDir().resolve("refs").resolve(COMMIT)), "no ref for a commit");
        assertTrue(Files.notExists(repoDir().resolve("refs/main")), "main was not asked for");
        assertTrue(
                hub.log().stream()
                        .filter(r -> r.path().contains("/resolve/"))
                        .allMatch(r -> r.path().contains("/resolve/" + COMMIT + "/")),
                "files fetched by commit");
        HubException e = assertThrows(HubException.class, () -> resolve(REPO + "@v9.9", settings));
        assertTrue(e.getMessage().contains("no revision 'v9.9'"), e.getMessage());
    }

    @Test
    void branchRevisionWritesItsRef() throws IOException {
        Path snap = resolve(REPO + "@main", settings);
        assertEquals(COMMIT, Files.readString(repoDir().resolve("refs/main")));
        assertEquals(snap, resolve(REPO, settings));
    }

    @Test
    void localPathsPassThroughAndUnknownSpecsFail() throws IOException {
        assertEquals(fixture, ModelSource.resolve(fixture.toString(), settings));
        Path weights = fixture.resolve("blip_decoder.hf.safetensors");
        assertEquals(weights, ModelSource.resolve(weights.toString(), settings));
        FileNotFoundException nf = assertThrows(
                FileNotFoundException.class,
                () -> resolve(tmp.resolve("missing").resolve("x.safetensors").toString(), settings));
        assertTrue(nf.getMessage().contains("not a Hugging Face id"), nf.getMessage());
        HubException e = assertThrows(HubException.class, () -> resolve("acme/nothing-here", settings));
        assertTrue(e.getMessage().contains("acme/nothing-here is not a model on"), e.getMessage());
        assertEquals(
                0,
                hub.log().stream().filter(r -> r.path().contains("/resolve/")).count());
    }

    @Test
    void tokenGoesToTheHubButNotToAnotherHost() throws IOException {
        hub.close();
        hub = new FakeHub(repoFiles(), lfsFiles(), true);
        HubSettings s = settings.withEndpoint(hub.endpoint());
        Path snap = resolve(REPO, s);
        assertEquals(
                FakeHub.sha256(hub.file("model.safetensors")), Checksums.sha256(snap.resolve("model.safetensors")));
        List<FakeHub.Request> cdn =
                hub.log().stream().filter(FakeHub.Request::cdn).toList();
        assertFalse(cdn.isEmpty());
        assertTrue(cdn.stream().allMatch(r -> r.auth() == null), "no token to the CDN");
        assertTrue(hub.log().stream().filter(r -> !r.cdn()).allMatch(r -> r.auth() != null));
    }

    @Test
    void noTokenNoAuthorizationHeader() throws IOException {
        resolve(REPO, settings.withToken(null));
        assertTrue(hub.log().stream().allMatch(r -> r.auth() == null));
        assertNull(settings.withToken("  ").token());
    }
}

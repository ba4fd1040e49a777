package org.blip4j.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Interrupted, resumed and corrupted downloads against the fake hub: the cache never holds a bad file. */
class HubDownloadsTest {
    static final String REPO = FakeHub.REPO;
    static final String COMMIT = FakeHub.COMMIT;

    @TempDir
    Path tmp;

    FakeHub hub;
    HubSettings settings;
    byte[] weights;
    String sha;

    @BeforeAll
    static void fixture() throws IOException {
        HubTest.fixture();
    }

    @BeforeEach
    void start() throws IOException {
        hub = new FakeHub(HubTest.repoFiles(), HubTest.lfsFiles(), false);
        settings = new HubSettings(hub.endpoint(), tmp.resolve("hub"), false, null);
        weights = hub.file("model.safetensors");
        sha = FakeHub.sha256(weights);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    Path resolve(int attempts) throws IOException {
        return ModelSource.resolve(
                REPO, settings, DownloadListener.NONE, new HubClient(settings, attempts, Duration.ZERO));
    }

    Path repoDir() {
        return settings.cacheDir().resolve("models--acme--blip-tiny");
    }

    Path snapshotWeights() {
        return repoDir().resolve("snapshots").resolve(COMMIT).resolve("model.safetensors");
    }

    Path incomplete() {
        return repoDir().resolve("blobs").resolve(sha + ".incomplete");
    }

    List<FakeHub.Request> weightGets() {
        return hub.log().stream()
                .filter(r -> r.method().equals("GET") && r.path().startsWith("/cdn/lfs/" + sha))
                .toList();
    }

    void assertWeightsComplete(Path snap) throws IOException {
        assertArrayEquals(weights, Files.readAllBytes(snap.resolve("model.safetensors")));
        assertEquals(sha, Checksums.sha256(snap.resolve("model.safetensors")));
        assertTrue(Files.notExists(incomplete()));
    }

    @Test
    void interruptedTransferResumesWithRangeInTheSameRun() throws IOException {
        long half = weights.length / 2;
        hub.abortAfter = half;
        hub.abortTimes = 1;
        assertWeightsComplete(resolve(3));
        List<FakeHub.Request> gets = weightGets();
        assertEquals(2, gets.size(), gets.toString());
        assertNull(gets.get(0).range());
        assertEquals("bytes=" + half + "-", gets.get(1).range());
    }

    @Test
    void aFailedRunLeavesAPartialBlobThatTheNextRunResumes() throws IOException {
        long part = weights.length / 3;
        hub.abortAfter = part;
        hub.abortTimes = 1;
        HubException e = assertThrows(HubException.class, () -> resolve(1));
        assertTrue(e.getMessage().contains("next run resumes"), e.getMessage());
        assertEquals(part, Files.size(incomplete()), "partial bytes kept as blobs/<sha256>.incomplete");
        assertTrue(Files.notExists(snapshotWeights()), "nothing half-written appears in snapshots/");
        assertTrue(Files.notExists(repoDir().resolve("refs/main")), "ref written only when complete");

        assertWeightsComplete(resolve(1));
        List<FakeHub.Request> gets = weightGets();
        assertEquals("bytes=" + part + "-", gets.get(gets.size() - 1).range());
        assertEquals(COMMIT, Files.readString(repoDir().resolve("refs/main")));
    }

    @Test
    void aServerIgnoringRangeStillGivesTheRightFile() throws IOException {
        hub.abortAfter = weights.length / 2;
        hub.abortTimes = 1;
        assertThrows(HubException.class, () -> resolve(1));
        assertTrue(Files.size(incomplete()) > 0);
        hub.ignoreRange = true;
        assertWeightsComplete(resolve(1));
        List<FakeHub.Request> gets = weightGets();
        assertTrue(gets.get(gets.size() - 1).range().startsWith("bytes="), "asked for a range, got the whole file");
    }

    @Test
    void checksumMismatchFailsAndCachesNothing() throws IOException {
        String lie = FakeHub.sha256("not the weights".getBytes());
        hub.lies.put("model.safetensors", lie);
        HubException e = assertThrows(HubException.class, () -> resolve(3));
        assertTrue(e.getMessage().contains("checksum mismatch for model.safetensors"), e.getMessage());
        assertTrue(e.getMessage().contains(lie) && e.getMessage().contains(sha), e.getMessage());
        assertTrue(Files.notExists(snapshotWeights()));
        try (Stream<Path> blobs = Files.list(repoDir().resolve("blobs"))) {
            List<String> names = blobs.map(p -> p.getFileName().toString()).toList();
            assertTrue(names.stream().noneMatch(n -> n.startsWith(lie) || n.endsWith(".incomplete")), names.toString());
        }
        assertEquals(1, weightGets().size(), "a fresh download that fails its checksum is not retried");
    }

    @Test
    void gitFileChecksumIsVerified() {
        hub.lies.put("config.json", "0123456789abcdef0123456789abcdef01234567");
        HubException e = assertThrows(HubException.class, () -> resolve(3));
        assertTrue(e.getMessage().contains("checksum mismatch for config.json"), e.getMessage());
        assertTrue(e.getMessage().contains("git blob SHA-1"), e.getMessage());
        assertTrue(
                Files.notExists(repoDir().resolve("snapshots").resolve(COMMIT).resolve("config.json")));
    }

    @Test
    void aCorruptedPartialIsDetectedAndDownloadedAgain() throws IOException {
        hub.abortAfter = weights.length / 2;
        hub.abortTimes = 1;
        assertThrows(HubException.class, () -> resolve(1));
        Files.write(incomplete(), new byte[] {1, 2, 3, 4}, StandardOpenOption.WRITE); // damage the kept bytes
        assertWeightsComplete(resolve(1));
        List<FakeHub.Request> gets = weightGets();
        assertEquals(3, gets.size(), gets.toString());
        assertTrue(gets.get(1).range() != null, "resumed first");
        assertNull(gets.get(2).range(), "then downloaded whole after the mismatch");
    }

    @Test
    void aPartialAsLongAsTheFileIsFinishedWithoutBody() throws IOException {
        Files.createDirectories(incomplete().getParent());
        Files.write(incomplete(), weights); // e.g. a crash between the last byte and the rename
        assertWeightsComplete(resolve(1));
        assertEquals("bytes=" + weights.length + "-", weightGets().get(0).range());
    }

    @Test
    void blobsAreSharedBetweenSnapshots() throws IOException {
        Path snap = resolve(1);
        // another commit listing the same weights reuses the blob without downloading it
        Path blob = repoDir().resolve("blobs").resolve(sha);
        HubCache cache = new HubCache(settings.cacheDir(), HubId.parse(REPO).orElseThrow());
        cache.link("ffffffffffffffffffffffffffffffffffffffff", "model.safetensors", blob);
        assertArrayEquals(
                weights,
                Files.readAllBytes(
                        repoDir().resolve("snapshots/ffffffffffffffffffffffffffffffffffffffff/model.safetensors")));
        assertEquals(
                Files.readSymbolicLink(snap.resolve("model.safetensors")),
                Files.readSymbolicLink(
                        repoDir().resolve("snapshots/ffffffffffffffffffffffffffffffffffffffff/model.safetensors")));
    }

    @Test
    void concurrentResolvesDownloadEachFileOnce() throws Exception {
        var pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
            List<java.util.concurrent.Future<Path>> runs = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                runs.add(pool.submit(() -> resolve(1)));
            }
            for (var r : runs) {
                assertWeightsComplete(r.get());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, weightGets().size(), weightGets().toString());
    }
}

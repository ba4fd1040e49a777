package org.blip4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What passes without a check is said on stderr: a file the hub gave no checksum for, an unreadable token file. */
class HubWarningsTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void fixture() throws Exception {
        HubTest.fixture();
    }

    /** Runs {@code body} and returns what it wrote on System.err (where slf4j-simple logs). */
    static <T> String stderrOf(Callable<T> body) throws Exception {
        PrintStream old = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            body.call();
        } finally {
            System.setErr(old);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    String download(FakeHub hub) throws Exception {
        HubSettings s = new HubSettings(hub.endpoint(), tmp.resolve("hub-" + System.nanoTime()), false, null);
        return stderrOf(
                () -> ModelSource.resolve(FakeHub.REPO, s, DownloadListener.NONE, new HubClient(s, 2, Duration.ZERO)));
    }

    @Test
    void aFileWithoutAUsableChecksumIsStoredWithAWarning() throws Exception {
        try (FakeHub hub = new FakeHub(HubTest.repoFiles(), HubTest.lfsFiles(), false)) {
            hub.lies.put("config.json", "v1-not-a-checksum");
            String err = download(hub);
            assertTrue(
                    err.contains("config.json")
                            && err.contains("without a checksum check")
                            && err.contains("v1-not-a-checksum"),
                    err);
            assertFalse(err.contains("vocab.txt"), "checked files are not reported: " + err);
        }
    }

    @Test
    void checkedDownloadsAreQuiet() throws Exception {
        try (FakeHub hub = new FakeHub(HubTest.repoFiles(), HubTest.lfsFiles(), false)) {
            String err = download(hub);
            assertFalse(err.contains("without a checksum"), err);
        }
    }

    @Test
    void anUnreadableTokenFileIsAWarningNotSilence() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("hf"));
        Path dirAsToken = Files.createDirectories(tmp.resolve("token-is-a-folder"));
        String[] token = new String[1];
        String err = stderrOf(() -> token[0] = HubSettings.fromEnvironment(
                        Map.of("HF_HOME", home.toString(), "HF_TOKEN_PATH", dirAsToken.toString()), tmp)
                .token());
        assertNull(token[0]);
        assertTrue(err.contains(dirAsToken.toString()) && err.contains("could not be read"), err);

        Path binary = Files.write(tmp.resolve("token-bin"), new byte[] {(byte) 0xff, (byte) 0xfe, 0x41});
        err = stderrOf(() -> token[0] = HubSettings.fromEnvironment(
                        Map.of("HF_HOME", home.toString(), "HF_TOKEN_PATH", binary.toString()), tmp)
                .token());
        assertNull(token[0]);
        assertTrue(err.contains(binary.toString()) && err.contains("not UTF-8"), err);

        // no token file at all is the normal case: quiet; a readable one is used
        err = stderrOf(() -> token[0] = HubSettings.fromEnvironment(Map.of("HF_HOME", home.toString()), tmp)
                .token());
        assertNull(token[0]);
        assertEquals("", err);
        Files.writeString(home.resolve("token"), "hf_abc\n");
        assertEquals(
                "hf_abc",
                HubSettings.fromEnvironment(Map.of("HF_HOME", home.toString()), tmp)
                        .token());
    }
}

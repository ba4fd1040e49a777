package org.blip4j.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Faults in a two-rank job ({@link FailWorker}): a rank killed with SIGKILL or stopped (hung) makes the other stop
 * within the collective timeout with a message naming it, under the launcher and under any other launcher (plain
 * environment variables); a rank that cannot reach the master fails with a message naming the address.
 */
class RankFailureTest {
    /** Collective timeout of the kill tests: the survivor must stop well before it. */
    private static final int TIMEOUT_S = 30;

    /** A process of a rank started with torchrun's variables, and its captured output. */
    private record Rank(Process process, ByteArrayOutputStream out) {
        String text() {
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    private static Rank start(int rank, int port, Map<String, String> extra) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Launcher.javaCommand(FailWorker.class.getName(), List.of()));
        pb.environment()
                .putAll(Map.of(
                        "RANK",
                        "" + rank,
                        "WORLD_SIZE",
                        "2",
                        "MASTER_ADDR",
                        "127.0.0.1",
                        "MASTER_PORT",
                        "" + port,
                        "TORCH_CPP_LOG_LEVEL",
                        "FATAL",
                        "BLIP4J_DIST_TIMEOUT",
                        "" + TIMEOUT_S));
        pb.environment().putAll(extra);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread t = new Thread(() -> {
            try (var in = p.getInputStream()) {
                in.transferTo(out);
            } catch (java.io.IOException e) {
                // process gone
            }
        });
        t.setDaemon(true);
        t.start();
        return new Rank(p, out);
    }

    /** Ports nothing listens on, all different (held open together while chosen). */
    private static int[] distinctFreePorts(int n) throws java.io.IOException {
        List<java.net.ServerSocket> held = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                java.net.ServerSocket s = new java.net.ServerSocket(0);
                held.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } finally {
            for (java.net.ServerSocket s : held) {
                s.close();
            }
        }
    }

    private static void waitFor(java.util.function.Supplier<String> text, String what, int seconds) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!text.get().contains(what)) {
            if (System.nanoTime() > end) {
                throw new AssertionError("no '" + what + "' within " + seconds + " s:\n" + text.get());
            }
            Thread.sleep(50);
        }
    }

    /**
     * Without a launcher (torchrun-style variables only), three jobs at once to save wall time: in one, rank 1 is
     * killed with SIGKILL; in another it is stopped with SIGSTOP (hung) under a 3 s collective timeout; and a lone
     * rank 1 looks for a master that is not there.
     */
    @Test
    void deadHungAndUnreachableRanksAreNamedWithoutALauncher() throws Exception {
        int[] ports = distinctFreePorts(3);
        int killPort = ports[0];
        int hangPort = ports[1];
        int nobody = ports[2]; // nothing listens there
        Map<String, String> shortTimeout = Map.of("BLIP4J_DIST_TIMEOUT", "3");
        Rank k0 = start(0, killPort, Map.of());
        Rank k1 = start(1, killPort, Map.of());
        Rank h0 = start(0, hangPort, shortTimeout);
        Rank h1 = start(1, hangPort, shortTimeout);
        Rank lone = start(1, nobody, Map.of("BLIP4J_RDZV_TIMEOUT", "1"));
        try {
            waitFor(k0::text, "step 1\n", 60);
            long killed = System.nanoTime();
            k1.process().destroyForcibly(); // SIGKILL
            waitFor(h0::text, "step 1\n", 60);
            new ProcessBuilder("kill", "-STOP", Long.toString(h1.process().pid()))
                    .start()
                    .waitFor();
            long stopped = System.nanoTime();

            assertTrue(k0.process().waitFor(TIMEOUT_S, TimeUnit.SECONDS), "rank 0 still running:\n" + k0.text());
            double killSecs = (System.nanoTime() - killed) / 1e9;
            assertEquals(3, k0.process().exitValue(), k0.text());
            assertTrue(k0.text().contains("FAILED: rank 1 is gone"), k0.text());
            assertTrue(killSecs < TIMEOUT_S / 2.0, "rank 0 stopped " + killSecs + " s after rank 1 was killed");

            assertTrue(h0.process().waitFor(TIMEOUT_S, TimeUnit.SECONDS), "rank 0 still running:\n" + h0.text());
            double hangSecs = (System.nanoTime() - stopped) / 1e9;
            assertTrue(h0.text().contains("FAILED: rank 1 is gone or not responding"), h0.text());
            assertTrue(
                    hangSecs >= 2.5 && hangSecs < 15,
                    "rank 0 stopped " + hangSecs + " s after rank 1 hung (timeout 3 s)");

            assertTrue(lone.process().waitFor(60, TimeUnit.SECONDS), lone.text());
            assertEquals(3, lone.process().exitValue(), lone.text());
            assertTrue(
                    lone.text()
                            .contains("FAILED: rank 1 could not reach the master (rank 0) at 127.0.0.1:" + nobody
                                    + " within 1 s"),
                    lone.text());
        } finally {
            for (Rank r : List.of(k0, k1, h0, h1, lone)) {
                r.process().destroyForcibly();
            }
        }
    }

    @Test
    void theLauncherStopsTheOtherRanksAndNamesTheKilledOne() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        CompletableFuture<Launcher.Result> launch = CompletableFuture.supplyAsync(() -> {
            try {
                return Launcher.run(
                        new Launcher.Spec(2, 1, 0, "127.0.0.1", 0, Duration.ofSeconds(5)),
                        Launcher.javaCommand(FailWorker.class.getName(), List.of()),
                        o,
                        e);
            } catch (Exception x) {
                throw new IllegalStateException(x);
            }
        });
        waitFor(() -> out.toString(StandardCharsets.UTF_8), "[rank 0] step 3\n", 60);
        List<Long> pids = new ArrayList<>();
        Matcher m = Pattern.compile("\\[launcher\\] rank (\\d) of 2: pid (\\d+)")
                .matcher(err.toString(StandardCharsets.UTF_8));
        while (m.find()) {
            pids.add(Long.parseLong(m.group(2)));
        }
        assertEquals(2, pids.size(), err.toString(StandardCharsets.UTF_8));
        ProcessHandle.of(pids.get(1)).orElseThrow().destroyForcibly();
        Launcher.Result r = launch.get(TIMEOUT_S, TimeUnit.SECONDS);
        String log = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
        assertEquals(1, r.exitCode(), log);
        assertEquals(1, r.failedRank(), log);
        assertTrue(r.message().contains("rank 1") && r.message().contains("SIGKILL"), r.message());
        assertTrue(
                log.contains("[launcher] rank 1 (pid " + pids.get(1) + ") was killed by signal 9 (SIGKILL); stopping"),
                log);
        assertFalse(ProcessHandle.of(pids.get(0)).map(ProcessHandle::isAlive).orElse(false), "rank 0 survived");
    }
}

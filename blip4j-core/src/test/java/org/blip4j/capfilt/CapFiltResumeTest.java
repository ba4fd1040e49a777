package org.blip4j.capfilt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resume after SIGKILL: a CapFilt run in a child JVM is killed at 2 or 3 random points (restarted each time), then
 * finishes; every output file equals, byte for byte, that of an uninterrupted run, and each restart resumes at the
 * item its last checkpoint recorded.
 */
class CapFiltResumeTest {
    static final long DELAY_MS = 120;

    @TempDir
    Path tmp;

    @Test
    void killedAndResumedRunsWriteTheUninterruptedFiles() throws Exception {
        CapFiltData.create(tmp.resolve("data"));
        Path ref = tmp.resolve("uninterrupted");
        Child a = Child.start(tmp.resolve("data"), ref, 0);
        assertEquals(0, a.await(), a.output());
        assertTrue(a.output().contains("START 0 " + CapFiltData.ITEMS), a.output());

        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        int kills = 2 + rnd.nextInt(2);
        System.out.println("CAPFILT resume test: seed " + seed + ", " + kills + " kills");
        Path out = tmp.resolve("resumed");
        long expectFirst = 0;
        int killed = 0;
        for (int k = 0; k < kills; k++) {
            Child c = Child.start(tmp.resolve("data"), out, DELAY_MS);
            long first = c.awaitStart();
            assertEquals(expectFirst, first, "restart resumes at the last checkpoint\n" + c.output());
            long remaining = CapFiltData.ITEMS - first;
            if (remaining < 2) {
                assertEquals(0, c.await(), c.output());
                break;
            }
            int target = 1 + rnd.nextInt((int) remaining - 1); // kill after 1..remaining-1 items, plus a random moment
            c.awaitItems(target);
            Thread.sleep(rnd.nextInt((int) DELAY_MS));
            c.kill();
            killed++;
            JsonNode progress =
                    new ObjectMapper().readTree(out.resolve(CapFilt.PROGRESS).toFile());
            assertFalse(progress.get("complete").asBoolean(), "killed mid-run\n" + c.output());
            expectFirst = progress.get("next_item").asLong();
            System.out.println("CAPFILT killed after " + c.items.get() + " items; checkpoint at item " + expectFirst);
            assertEquals(0, expectFirst % 4, "checkpoints fall on shard boundaries");
            assertTrue(expectFirst <= first + c.items.get(), "no item committed before it was processed");
        }
        assertTrue(killed >= 2, "killed at least twice");
        Child last = Child.start(tmp.resolve("data"), out, 0);
        assertEquals(expectFirst, last.awaitStart(), last.output());
        assertEquals(0, last.await(), last.output());

        Map<Path, byte[]> want = snapshot(ref);
        assertTrue(
                want.containsKey(Path.of(CapFilt.BOOTSTRAPPED))
                        && want.containsKey(Path.of(CapFilt.EXAMPLES))
                        && want.containsKey(Path.of(CapFilt.HISTOGRAM))
                        && want.containsKey(Path.of(CapFilt.REJECTS))
                        && want.containsKey(Path.of(CapFilt.REPORT))
                        && want.containsKey(Path.of("decisions", "part-00004.jsonl")),
                "all outputs written: " + want.keySet());
        assertEquals(2, Files.readAllLines(ref.resolve(CapFilt.REJECTS)).size(), "missing and corrupt image rejected");
        assertSameFiles(want, snapshot(out));
    }

    /** Every regular file under {@code dir}, by relative path. */
    static Map<Path, byte[]> snapshot(Path dir) throws Exception {
        Map<Path, byte[]> files = new TreeMap<>();
        try (var s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                files.put(dir.relativize(p), Files.readAllBytes(p));
            }
        }
        return files;
    }

    static void assertSameFiles(Map<Path, byte[]> want, Map<Path, byte[]> got) {
        assertEquals(want.keySet(), got.keySet(), "same files");
        for (var e : want.entrySet()) {
            assertArrayEquals(e.getValue(), got.get(e.getKey()), "byte-identical " + e.getKey());
        }
    }

    /** A {@link CapFiltChild} process with its output collected by a reader thread. */
    static final class Child {
        final Process process;
        final List<String> lines = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger items = new AtomicInteger();
        final AtomicLong first = new AtomicLong(-1);
        final Thread reader;

        private Child(Process p) {
            this.process = p;
            this.reader = new Thread(() -> {
                try (BufferedReader r =
                        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        lines.add(line);
                        if (line.startsWith("ITEM ")) {
                            items.incrementAndGet();
                        } else if (line.startsWith("START ")) {
                            first.set(Long.parseLong(line.split(" ")[1]));
                        }
                    }
                } catch (java.io.IOException e) {
                    // the process was killed
                }
            });
            reader.setDaemon(true);
            reader.start();
        }

        static Child start(Path data, Path out, long delayMs) throws Exception {
            String java =
                    Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(
                    java,
                    "-Xmx1g",
                    "-cp",
                    System.getProperty("java.class.path"),
                    "-Dblip4j.fixture=" + CapFiltData.fixtureDir(),
                    CapFiltChild.class.getName(),
                    data.toString(),
                    out.toString(),
                    Long.toString(delayMs));
            pb.environment().put("OMP_NUM_THREADS", "1");
            pb.redirectErrorStream(true);
            return new Child(pb.start());
        }

        long awaitStart() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (first.get() < 0 && process.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(first.get() >= 0, "the child started the pipeline\n" + output());
            return first.get();
        }

        void awaitItems(int n) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (items.get() < n && process.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(process.isAlive(), "still running when the kill is due\n" + output());
        }

        void kill() throws Exception {
            process.destroyForcibly(); // SIGKILL
            assertTrue(process.waitFor(30, TimeUnit.SECONDS));
            reader.join(5000);
        }

        int await() throws Exception {
            assertTrue(process.waitFor(180, TimeUnit.SECONDS), "child finished\n" + output());
            reader.join(5000);
            return process.exitValue();
        }

        String output() {
            synchronized (lines) {
                return String.join("\n", lines);
            }
        }
    }
}

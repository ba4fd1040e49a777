package org.blip4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.blip4j.testutil.Fixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reproducible training: the same seed gives identical losses, and a run killed with SIGKILL and resumed from its
 * last checkpoint logs exactly the losses of an uninterrupted run, with no step missing or repeated.
 */
class TrainingResumeTest {
    static final int EPOCHS = 6;

    @TempDir
    Path tmp;

    static List<Double> losses(Path metrics) throws Exception {
        List<Double> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        long expectStep = 1;
        for (String line : Files.readAllLines(metrics)) {
            var row = json.readTree(line);
            assertEquals(expectStep++, row.path("step").asLong(), "steps are logged once each, in order");
            out.add(row.path("loss").asDouble());
        }
        return out;
    }

    @Test
    void sameSeedSameLossesAndKillResumeEqualsUninterrupted() throws Exception {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        try (Fixture fx = Fixture.open()) {
            FixtureTraining.trainer(fx, a, EPOCHS, false, 0).fit();
            FixtureTraining.trainer(fx, b, EPOCHS, false, 0).fit();
        }
        List<Double> ref = losses(a.resolve("metrics.jsonl"));
        assertEquals(ref, losses(b.resolve("metrics.jsonl")), "same seed, same losses");
        assertTrue(ref.get(ref.size() - 1) < ref.get(0), "training lowers the loss: " + ref);

        Path c = tmp.resolve("c");
        Process p = child(c, false);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && !killPoint(c)) {
            Thread.sleep(20);
        }
        p.destroyForcibly(); // SIGKILL
        p.waitFor(30, TimeUnit.SECONDS);
        assertTrue(Files.exists(c.resolve("latest")), "the killed run left a checkpoint");
        int logged = Files.readAllLines(c.resolve("metrics.jsonl")).size();
        assertTrue(logged < ref.size(), "killed mid-run (" + logged + " of " + ref.size() + " steps logged)");
        Process r = child(c, true);
        assertTrue(r.waitFor(180, TimeUnit.SECONDS), "resumed run finished");
        assertEquals(0, r.exitValue(), new String(r.getInputStream().readAllBytes()));
        assertEquals(ref, losses(c.resolve("metrics.jsonl")), "kill + resume = uninterrupted");
    }

    @Test
    void resumingAtTheStepLimitTrainsNothingMoreAndALaterLimitContinuesExactly() throws Exception {
        Path a = tmp.resolve("limit-a");
        Path b = tmp.resolve("limit-b");
        try (Fixture fx = Fixture.open()) {
            FixtureTraining.trainer(fx, a, EPOCHS, false, 5).fit();
            FixtureTraining.trainer(fx, b, EPOCHS, false, 3).fit();
            FixtureTraining.trainer(fx, b, EPOCHS, true, 3).fit(); // same limit again: already there
            assertEquals(3, losses(b.resolve("metrics.jsonl")).size(), "no step past max_steps on resume");
            FixtureTraining.trainer(fx, b, EPOCHS, true, 5).fit(); // a higher limit continues where it stopped
        }
        assertEquals(losses(a.resolve("metrics.jsonl")), losses(b.resolve("metrics.jsonl")));
    }

    /** Kill once a checkpoint exists and at least one more step has been logged after it. */
    private static boolean killPoint(Path dir) throws Exception {
        Path latest = dir.resolve("latest");
        Path metrics = dir.resolve("metrics.jsonl");
        if (!Files.exists(latest) || !Files.exists(metrics)) {
            return false;
        }
        long ck = Long.parseLong(Files.readString(latest).strip().substring(5));
        return Files.readAllLines(metrics).size() > ck;
    }

    private static Process child(Path out, boolean resume) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                "-Dblip4j.fixture=" + System.getProperty("blip4j.fixture", "../shared/fixtures/blip-tiny"),
                FixtureTraining.class.getName(),
                out.toString(),
                Integer.toString(EPOCHS),
                Boolean.toString(resume),
                resume ? "0" : "150");
        pb.redirectErrorStream(true);
        return pb.start();
    }
}

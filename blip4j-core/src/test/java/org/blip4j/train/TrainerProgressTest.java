package org.blip4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.blip4j.engine.T;
import org.blip4j.nn.Block;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code step k/N} and the ETA describe the run that will happen: N = min(max_steps, epochs × batches). */
class TrainerProgressTest {
    @TempDir
    Path tmp;

    /** One parameter; the loss is its squared norm. */
    static final class Tiny extends Block {
        final Tensor w = param("w", 3);
    }

    static final Trainer.EpochData<Integer> FIVE_BATCHES = new Trainer.EpochData<>() {
        @Override
        public long batchesPerEpoch() {
            return 5;
        }

        @Override
        public Iterator<Integer> epoch(int epoch, long start) {
            return LongStream.range(start, 5).mapToObj(i -> (int) i).iterator();
        }
    };

    /** The (step, total) pairs a run printed. */
    static List<long[]> run(Path out, int epochs, long maxSteps, boolean resume) throws Exception {
        Tiny m = new Tiny();
        m.w.fill_(T.s(1.0));
        m.requiresGrad(true);
        Trainer<Integer> t = new Trainer<>(
                m,
                m.namedParameters(),
                AdamW.blip(m.namedParameters(), 1e-2, 0.0),
                (b, s) -> Map.of("loss", m.w.mul(m.w).sum()),
                FIVE_BATCHES,
                (e, b, n) -> 1e-2,
                new Trainer.Options(out, epochs, 3, 1, 0, 2, maxSteps, resume, true));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        t.progressTo(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        t.fit();
        List<long[]> seen = new ArrayList<>();
        Matcher mt = Pattern.compile("step (\\d+)/(\\d+) .*?ETA (\\d+):(\\d\\d):(\\d\\d)")
                .matcher(bytes.toString(StandardCharsets.UTF_8));
        while (mt.find()) {
            seen.add(new long[] {Long.parseLong(mt.group(1)), Long.parseLong(mt.group(2))});
        }
        return seen;
    }

    @Test
    void maxStepsSetsTheTotalAndResumeCountsOn() throws Exception {
        List<long[]> first = run(tmp.resolve("a"), 4, 7, false); // 4 epochs x 5 batches = 20, stopped at 7
        assertEquals(7, first.size());
        for (int i = 0; i < first.size(); i++) {
            assertEquals(i + 1, first.get(i)[0]);
            assertEquals(7, first.get(i)[1], "the run stops at max_steps 7, not at 20");
        }
        List<long[]> resumed = run(tmp.resolve("a"), 4, 12, true); // continues at 8 up to 12
        assertEquals(5, resumed.size());
        assertEquals(8, resumed.get(0)[0]);
        assertEquals(12, resumed.get(4)[0]);
        assertTrue(resumed.stream().allMatch(s -> s[1] == 12));
        List<long[]> all = run(tmp.resolve("b"), 2, 0, false); // no max_steps: every batch of every epoch
        assertEquals(10, all.size());
        assertTrue(all.stream().allMatch(s -> s[1] == 10));
        assertEquals(10, run(tmp.resolve("c"), 2, 50, false).get(9)[1], "max_steps beyond the epochs: the epochs");
    }

    @Test
    void plannedStepsAndEta() {
        assertEquals(400, Trainer.plannedSteps(1000, 2, 400));
        assertEquals(2000, Trainer.plannedSteps(1000, 2, 0));
        assertEquals(2000, Trainer.plannedSteps(1000, 2, 5000));
        // 5 of 7 steps in 10 s: 0.5 it/s, 2 steps left -> 4 s
        assertTrue(Trainer.progressLine(5, 7, 0, 10, 1, 1e-4).contains("step 5/7 "));
        assertTrue(Trainer.progressLine(5, 7, 0, 10, 1, 1e-4).contains("0.50 it/s  ETA 0:00:04"));
        // resumed at step 3: this run did 2 steps in 10 s (0.2 it/s), 2 left -> 10 s
        assertTrue(Trainer.progressLine(5, 7, 3, 10, 1, 1e-4).contains("0.20 it/s  ETA 0:00:10"));
        // 400-step run, 100 done in 50 s: 300 left at 2 it/s -> 150 s
        assertTrue(Trainer.progressLine(100, 400, 0, 50, 1, 1e-4).contains("ETA 0:02:30"));
    }
}

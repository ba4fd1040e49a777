package org.blip4j.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The collectives between two real processes (c10d TCPStore + ProcessGroupGloo on loopback, started by the
 * launcher), each checked in {@link OpsWorker} against values derived by hand from the rank numbers.
 */
class DistributedOpsTest {
    @Test
    void collectivesGiveTheHandDerivedValuesOnBothRanks() throws Exception {
        Workers.Run run = Workers.launch(2, OpsWorker.class);
        assertEquals(0, run.result().exitCode(), run.out() + run.err());
        for (int rank = 0; rank < 2; rank++) {
            for (String check : List.of(
                    "allReduceMean",
                    "allTrue",
                    "allGather",
                    "allGatherWithGrad",
                    "gradientSync",
                    "broadcast",
                    "verifyIdentical")) {
                assertTrue(
                        run.out().contains("[rank " + rank + "] OK " + check + "\n"),
                        "rank " + rank + " " + check + ":\n" + run.out() + run.err());
            }
        }
        assertTrue(run.err().contains("[launcher] rank 1 of 2: pid "), run.err());
    }
}

package org.blip4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/** The intra-op thread count is set explicitly when the engine loads, and OpenBLAS follows it. */
class IntraOpThreadsTest {
    @Test
    void engineLoadAppliesTheChosenCount() {
        Engine.load();
        int chosen = IntraOpThreads.chosen();
        if (chosen > 0) {
            int now = torch.get_num_threads();
            // another test in this JVM may have called Engine.setThreads(n) since; then OpenBLAS must follow that count
            assertTrue(now >= 1);
            if (System.getenv("OPENBLAS_NUM_THREADS") == null) {
                assertEquals(now, BlasThreads.threads(), "OpenBLAS follows libtorch's count");
            }
        }
    }

    @Test
    void propertyWinsAndSetThreadsKeepsBlasInStep() {
        String old = System.getProperty(IntraOpThreads.PROPERTY);
        int before = torch.get_num_threads();
        try {
            System.setProperty(IntraOpThreads.PROPERTY, "1");
            assertEquals(1, IntraOpThreads.chosen());
            IntraOpThreads.apply();
            assertEquals(1, torch.get_num_threads());
            System.setProperty(IntraOpThreads.PROPERTY, "not a number");
            int fallback = IntraOpThreads.chosen();
            assertTrue(fallback == -1 || fallback == Runtime.getRuntime().availableProcessors());
            Engine.setThreads(2);
            assertEquals(2, torch.get_num_threads());
            if (System.getenv("OPENBLAS_NUM_THREADS") == null) {
                assertEquals(2, BlasThreads.threads());
            }
        } finally {
            if (old == null) {
                System.clearProperty(IntraOpThreads.PROPERTY);
            } else {
                System.setProperty(IntraOpThreads.PROPERTY, old);
            }
            Engine.setThreads(before);
        }
    }
}

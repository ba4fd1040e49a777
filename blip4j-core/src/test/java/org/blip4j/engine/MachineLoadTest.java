package org.blip4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * The busy-machine switch: the property overrides the load average, and the serial path gives torch.linear's values.
 */
class MachineLoadTest {
    @Test
    void othersAreTheMachinesBusyTimeLessOurOwnAveragedOverSeconds() {
        // one window of 2 cores busy from an idle start: 2 · (1 − e^-1)
        double w = MachineLoad.WINDOW_SECONDS;
        assertEquals(2 * (1 - Math.exp(-1)), MachineLoad.decayed(0, 2, w), 1e-12);
        // no time passed: unchanged; a long time: the rate itself
        assertEquals(1.5, MachineLoad.decayed(1.5, 0, 0), 1e-12);
        assertEquals(0.25, MachineLoad.decayed(3, 0.25, 6000), 1e-12);
        // /proc/stat's first line: user nice system idle iowait irq softirq steal guest guest_nice
        assertEquals(10 + 2 + 5 + 1 + 3 + 4, MachineLoad.busyTicks("cpu  10 2 5 900 70 1 3 4 6 0"));
        assertEquals(-1, MachineLoad.busyTicks("cpu0 10 2 5 900 70 1 3 4 6 0"));
        assertEquals(-1, MachineLoad.busyTicks(null));
        // 2 s in which the machine was busy 300 ticks (3 s of CPU) and we used 1 s: others kept 1 core busy
        assertEquals(1.0, MachineLoad.othersRate(300, 1_000_000_000L, 2), 1e-12);
        // we alone: nothing left for others, never negative although the files are read a moment apart
        assertEquals(0.0, MachineLoad.othersRate(200, 2_010_000_000L, 1), 1e-12);
        // this process's CPU time and the machine's busy time are readable and grow with work; a first sample taken
        // (Engine.load does it) makes the next reading a measured interval, not the load-average fallback
        MachineLoad.prime();
        long before = MachineLoad.processCpuNanos();
        long busyBefore = MachineLoad.machineBusyTicks();
        double x = 0;
        for (long t = System.nanoTime(); System.nanoTime() - t < 300_000_000L; ) {
            x += Math.sqrt(x + 1);
        }
        assertTrue(x > 0 && before >= 0 && MachineLoad.processCpuNanos() > before);
        assertTrue(busyBefore >= 0 && MachineLoad.machineBusyTicks() > busyBefore);
        double others = MachineLoad.othersLoad();
        assertTrue(others >= 0 && others <= Runtime.getRuntime().availableProcessors() * 4.0, "others " + others);
        assertTrue(MachineLoad.measuredYet(), "measured from the first sample");
    }

    @Test
    void ruleNeedsOtherProcessesOnHalfTheCores() {
        // the benchmark's own two threads on 2 cores no longer count; one other busy process does
        assertFalse(MachineLoad.othersOversubscribe(0.4, 2));
        assertTrue(MachineLoad.othersOversubscribe(1.0, 2));
        assertFalse(MachineLoad.othersOversubscribe(3.9, 16));
        assertTrue(MachineLoad.othersOversubscribe(8.0, 16));
        assertTrue(MachineLoad.othersOversubscribe(1.0, 1));
    }

    @Test
    void propertyOverridesAndSerialLinearEqualsThreaded() {
        String old = System.getProperty(MachineLoad.PROPERTY);
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            assertTrue(MachineLoad.loadAverage() >= 0);
            System.setProperty(MachineLoad.PROPERTY, "false");
            assertFalse(MachineLoad.oversubscribed());
            torch.manual_seed(11);
            Tensor w = torch.randn(300, 200);
            Tensor b = torch.randn(300);
            Tensor x = torch.randn(64, 200); // more rows than SkinnyLinear takes: the sgemm path
            Tensor threaded = T.linear(x, w, b);
            System.setProperty(MachineLoad.PROPERTY, "true");
            assertTrue(MachineLoad.oversubscribed());
            Tensor serial = T.linear(x, w, b);
            assertEquals(0.0, serial.sub(threaded).abs().max().item_double(), 1e-4);
            assertEquals(
                    0.0, serial.sub(torch.linear(x, w, T.opt(b))).abs().max().item_double(), 1e-4);
        } finally {
            if (old == null) {
                System.clearProperty(MachineLoad.PROPERTY);
            } else {
                System.setProperty(MachineLoad.PROPERTY, old);
            }
        }
    }
}

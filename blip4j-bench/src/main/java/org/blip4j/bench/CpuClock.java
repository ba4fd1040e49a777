package org.blip4j.bench;

import java.lang.management.ManagementFactory;

/** CPU time consumed by this whole process (all native threads included), for figures that external load distorts less than wall time. */
final class CpuClock {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private CpuClock() {}

    /** Process CPU time in nanoseconds, or -1 where the JVM does not provide it. */
    static long nanos() {
        return OS.getProcessCpuTime();
    }
}

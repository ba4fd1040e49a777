package org.blip4j.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/** One-line description of the machine a benchmark ran on (CPU model, cores, memory, JVM). */
final class Machine {
    private Machine() {}

    static String describe() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst()
                    .orElse(cpu);
        } catch (Exception e) {
            // not Linux: keep the default
        }
        long memGb = 0;
        try {
            var os = (com.sun.management.OperatingSystemMXBean)
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            memGb = Math.round(os.getTotalMemorySize() / 1e9);
        } catch (Exception e) {
            // not a HotSpot JVM
        }
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores, " + memGb + " GB RAM, Java "
                + System.getProperty("java.version");
    }
}

package org.blip4j.engine;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether <em>other</em> processes compete for this machine's cores: the 1-minute load average from
 * {@code /proc/loadavg} less this process's own CPU use averaged the way the kernel averages the load, read at most
 * once a second.
 *
 * <p>Why: OpenBLAS's pthread pool hands every product to its worker threads and waits for all of them; when the cores
 * are oversubscribed a worker often runs only after a time slice. Measured side by side on the shared 2-core machine
 * at load 8 (docs/performance.md): ViT-B/16 linear layers of 577 rows ran at 9–38 GFLOP/s threaded and 47–71
 * serial, few-row decoder products 7.1 ms threaded and 0.26 ms serial. Inference then runs its products with a
 * serial OpenBLAS; on a calm machine the threaded pool is kept. Our own threads are left out of the count: counting
 * them (the first rule, load ≥ cores) switched a lone benchmark to the serial path and cost the ViT 27 % at batch 1.
 * {@code -Dblip4j.blas.adaptive=false} keeps the threaded pool always (side-by-side benchmarks); {@code =true} forces
 * the serial choice.
 */
public final class MachineLoad {
    /** System property: false = never adapt, true = always treat the machine as oversubscribed. */
    public static final String PROPERTY = "blip4j.blas.adaptive";

    /** The kernel's load average decays over one minute. */
    static final double WINDOW_SECONDS = 60;

    // read on every product without a lock; refreshed at most once a second under the class lock
    private static volatile long readAt;
    private static volatile double load;
    private static volatile double others;
    // only touched while refreshing
    private static long cpuAt;
    private static double ownAverage = Double.NaN;

    private MachineLoad() {}

    /** Whether products should run on a serial OpenBLAS now. */
    public static boolean oversubscribed() {
        String p = System.getProperty(PROPERTY);
        if ("false".equals(p)) {
            return false;
        }
        if ("true".equals(p)) {
            return true;
        }
        return othersOversubscribe(othersLoad(), Runtime.getRuntime().availableProcessors());
    }

    /**
     * The rule: other processes keep at least half the cores (and at least one) busy on average, so some of our pool's
     * workers would wait for a time slice.
     */
    static boolean othersOversubscribe(double others, int cores) {
        return others >= Math.max(1.0, cores / 2.0);
    }

    /** The 1-minute load average; 0 where /proc/loadavg is missing or unreadable. */
    public static double loadAverage() {
        refresh();
        return load;
    }

    /** The load average less this process's own averaged CPU use (cores), never below 0. */
    public static double othersLoad() {
        refresh();
        return others;
    }

    private static void refresh() {
        long at = readAt;
        if (at != 0 && System.nanoTime() - at <= 1_000_000_000L) {
            return;
        }
        synchronized (MachineLoad.class) {
            long now = System.nanoTime();
            if (readAt != 0 && now - readAt <= 1_000_000_000L) {
                return; // another thread refreshed meanwhile
            }
            double l;
            try {
                String s = Files.readString(Path.of("/proc/loadavg"));
                l = Double.parseDouble(s.substring(0, s.indexOf(' ')));
            } catch (java.io.IOException | RuntimeException e) {
                l = 0;
            }
            long cpu = processCpuNanos();
            if (Double.isNaN(ownAverage)) {
                // no history yet: the average since the JVM started stands for the last minute
                long uptimeNanos = ManagementFactory.getRuntimeMXBean().getUptime() * 1_000_000L;
                ownAverage = cpu < 0 || uptimeNanos <= 0 ? 0 : (double) cpu / uptimeNanos;
            } else if (cpu >= 0 && cpuAt >= 0) {
                ownAverage = decayed(ownAverage, (double) (cpu - cpuAt) / (now - readAt), (now - readAt) / 1e9);
            }
            cpuAt = cpu;
            load = l;
            others = Math.max(0, l - ownAverage);
            readAt = now;
        }
    }

    /** One step of the kernel's exponential average: {@code avg·e + rate·(1 − e)}, {@code e = exp(−dt / 60 s)}. */
    static double decayed(double average, double rate, double seconds) {
        double e = Math.exp(-seconds / WINDOW_SECONDS);
        return average * e + rate * (1 - e);
    }

    /**
     * This process's CPU time, native threads included (utime + stime of {@code /proc/self/stat}, in Linux's fixed
     * 100 ticks a second), or −1 where it cannot be read.
     */
    static long processCpuNanos() {
        try {
            String s = Files.readString(Path.of("/proc/self/stat"));
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            // after the command name: field 3 (state) is f[0], so utime (14) and stime (15) are f[11] and f[12]
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }
}

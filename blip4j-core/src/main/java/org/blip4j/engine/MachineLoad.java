package org.blip4j.engine;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether <em>other</em> processes compete for this machine's cores: the CPU time the machine spent busy over the
 * last few seconds ({@code /proc/stat}) less this process's own ({@code /proc/self/stat}), in cores, averaged over
 * {@link #WINDOW_SECONDS}; read at most once a second.
 *
 * <p>Why: OpenBLAS's pthread pool hands every product to its worker threads and waits for all of them; when the cores
 * are oversubscribed a worker often runs only after a time slice. Measured side by side on the shared 2-core machine
 * at load 8 (docs/performance.md): ViT-B/16 linear layers of 577 rows ran at 9–38 GFLOP/s threaded and 47–71
 * serial, few-row decoder products 7.1 ms threaded and 0.26 ms serial. Inference then runs its products with a
 * serial OpenBLAS; on a calm machine the threaded pool is kept. Our own threads are left out of the count: counting
 * them (the first rule, load ≥ cores) switched a lone benchmark to the serial path and cost the ViT 27 % at batch 1.
 * The second rule read the kernel's 1-minute load average, which stays raised for a minute after other processes
 * stop: right after a benchmark's child processes it still chose the serial path (round ten, docs/performance.md),
 * so the decoder's few-row products read memory from one core. Busy time over seconds follows the machine at once.
 * {@link Engine#load()} takes the first sample; until an interval of {@link #MIN_INTERVAL_SECONDS} has passed since,
 * it falls back to the load average less this process's own CPU use.
 * {@code -Dblip4j.blas.adaptive=false} keeps the threaded pool always (side-by-side benchmarks); {@code =true} forces
 * the serial choice.
 */
public final class MachineLoad {
    /** System property: false = never adapt, true = always treat the machine as oversubscribed. */
    public static final String PROPERTY = "blip4j.blas.adaptive";

    /** Other processes' CPU use is averaged over this many seconds. */
    static final double WINDOW_SECONDS = 5;

    /** Shortest interval measured (at 100 ticks a second, 5 ticks a core). */
    static final double MIN_INTERVAL_SECONDS = 0.05;

    /** Linux reports CPU times in /proc in USER_HZ ticks, fixed at 100 a second. */
    static final double TICKS_PER_SECOND = 100;

    // read on every product without a lock; refreshed at most once a second under the class lock
    private static volatile long readAt;
    private static volatile double load;
    private static volatile double others;
    // only touched while refreshing
    private static long cpuAt;
    private static long busyAt = -1;
    private static long sampledAt;
    private static boolean measured;

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

    /** Cores kept busy by other processes over the last seconds (see the class comment), never below 0. */
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
            double l = readLoadAverage();
            long cpu = processCpuNanos();
            long busy = machineBusyTicks();
            double seconds = (now - sampledAt) / 1e9;
            boolean sampled = busy >= 0 && busyAt >= 0 && cpu >= 0 && cpuAt >= 0;
            load = l;
            if (sampled && seconds >= MIN_INTERVAL_SECONDS) {
                double rate = othersRate(busy - busyAt, cpu - cpuAt, seconds);
                others = measured ? decayed(others, rate, seconds) : rate;
                measured = true;
            } else if (!measured) {
                // no interval yet: the load average less this process's CPU use since the JVM started
                long uptimeNanos = ManagementFactory.getRuntimeMXBean().getUptime() * 1_000_000L;
                double own = cpu < 0 || uptimeNanos <= 0 ? 0 : (double) cpu / uptimeNanos;
                others = Math.max(0, l - own);
                if (sampled || busyAt >= 0) {
                    return; // a first sample stands: measure from it as soon as the interval is long enough
                }
            } else {
                return;
            }
            busyAt = busy;
            cpuAt = cpu;
            sampledAt = now;
            readAt = now;
        }
    }

    /** Whether {@link #othersLoad()} comes from a measured interval (not the load-average fallback). */
    static synchronized boolean measuredYet() {
        return measured;
    }

    /** Takes the first sample (from {@link Engine#load()}), so that the first products already have an interval. */
    static void prime() {
        synchronized (MachineLoad.class) {
            if (busyAt < 0) {
                busyAt = machineBusyTicks();
                cpuAt = processCpuNanos();
                sampledAt = System.nanoTime();
            }
        }
    }

    /**
     * Cores other processes kept busy: the machine's busy ticks in an interval less this process's CPU nanoseconds in
     * it, over the interval's length; never below 0 (the two files are read a moment apart).
     */
    static double othersRate(long busyTicks, long ownNanos, double seconds) {
        double busySeconds = busyTicks / TICKS_PER_SECOND;
        return Math.max(0, (busySeconds - ownNanos / 1e9) / seconds);
    }

    private static double readLoadAverage() {
        try {
            String s = Files.readString(Path.of("/proc/loadavg"));
            return Double.parseDouble(s.substring(0, s.indexOf(' ')));
        } catch (java.io.IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * The machine's busy CPU time in ticks since boot: user, nice, system, irq, softirq and steal of
     * {@code /proc/stat}'s first line (idle and iowait left out; guest time is inside user already), or −1 where it
     * cannot be read.
     */
    static long machineBusyTicks() {
        try (java.io.BufferedReader r = Files.newBufferedReader(Path.of("/proc/stat"))) {
            return busyTicks(r.readLine());
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Busy ticks of a {@code /proc/stat} "cpu" line, or −1 where it is not one. */
    static long busyTicks(String cpuLine) {
        if (cpuLine == null || !cpuLine.startsWith("cpu ")) {
            return -1;
        }
        String[] f = cpuLine.trim().split("\\s+");
        long busy = 0;
        for (int i : new int[] {1, 2, 3, 6, 7, 8}) { // user nice system (idle iowait) irq softirq steal
            if (i < f.length) {
                busy += Long.parseLong(f[i]);
            }
        }
        return busy;
    }

    /** One step of an exponential average: {@code avg·e + rate·(1 − e)}, {@code e = exp(−dt / WINDOW_SECONDS)}. */
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

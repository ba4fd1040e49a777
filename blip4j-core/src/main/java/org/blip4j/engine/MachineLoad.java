package org.blip4j.engine;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether other processes oversubscribe this machine's cores (1-minute load average ≥ available processors), read
 * from {@code /proc/loadavg} at most once a second.
 *
 * <p>Why: OpenBLAS's pthread pool hands every product to its worker threads and waits for all of them; when the cores
 * are oversubscribed a worker often runs only after a time slice. Measured side by side on the shared 2-core machine
 * at load 8 (docs/performance.md): ViT-B/16 linear layers of 577 rows ran at 9–38 GFLOP/s threaded and 47–71
 * serial, few-row decoder products 7.1 ms threaded and 0.26 ms serial. Inference then runs its products with a
 * serial OpenBLAS; on a calm machine the threaded pool is kept. {@code -Dblip4j.blas.adaptive=false} keeps the
 * threaded pool always (side-by-side benchmarks); {@code =true} forces the serial choice.
 */
public final class MachineLoad {
    /** System property: false = never adapt, true = always treat the machine as oversubscribed. */
    public static final String PROPERTY = "blip4j.blas.adaptive";

    private static volatile long readAt;
    private static volatile double load;

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
        return loadAverage() >= Runtime.getRuntime().availableProcessors();
    }

    /** The 1-minute load average; 0 where /proc/loadavg is missing or unreadable. */
    public static double loadAverage() {
        long now = System.nanoTime();
        if (readAt == 0 || now - readAt > 1_000_000_000L) {
            try {
                String s = Files.readString(Path.of("/proc/loadavg"));
                load = Double.parseDouble(s.substring(0, s.indexOf(' ')));
            } catch (java.io.IOException | RuntimeException e) {
                load = 0;
            }
            readAt = now;
        }
        return load;
    }
}

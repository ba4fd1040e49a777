package org.blip4j.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Which vector width OpenBLAS's kernels use in this process, and which the CPU has. OpenBLAS picks its kernels
 * ("core") from the CPU unless {@code OPENBLAS_CORETYPE} names one; the JavaCPP presets do not expose its choice for
 * the library libtorch calls, so this mirrors it from the environment and {@code /proc/cpuinfo}.
 */
final class OpenBlasCore {
    private static final Set<String> AVX512_CORES = Set.of("skylakex", "cooperlake", "sapphirerapids");

    private OpenBlasCore() {}

    /**
     * Whether OpenBLAS runs AVX-512 kernels: the named core is SkylakeX, Cooperlake or Sapphire Rapids; with none
     * named, whether the CPU has AVX-512 F, BW and VL (what those cores need). False when nothing is known.
     */
    static boolean avx512Kernels(String coreType, String cpuFlags) {
        if (coreType != null && !coreType.isBlank()) {
            return AVX512_CORES.contains(coreType.trim().toLowerCase(Locale.ROOT));
        }
        return cpuAvx512(cpuFlags);
    }

    /** Whether the CPU flags include AVX-512 F, BW and VL. */
    static boolean cpuAvx512(String cpuFlags) {
        if (cpuFlags == null) {
            return false;
        }
        Set<String> f = Set.of(cpuFlags.trim().split("\\s+"));
        return f.contains("avx512f") && f.contains("avx512bw") && f.contains("avx512vl");
    }

    /** The first {@code flags} line of /proc/cpuinfo, null where there is none. */
    static String cpuFlags() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("flags"))
                    .findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1))
                    .orElse(null);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}

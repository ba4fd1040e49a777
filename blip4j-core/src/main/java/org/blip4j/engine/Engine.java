package org.blip4j.engine;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.global.torch;

/**
 * Loads libtorch once per JVM, the way {@code engine.md} prescribes: every native library is extracted into the
 * JavaCPP cache before the first load, so a system libtorch can never be picked up by the dynamic linker.
 *
 * <p>When only the CPU natives are on the class path, the JavaCPP platform extension is pinned to none, so that the
 * loader skips its search for the 24 CUDA libraries of the {@code -gpu} build (about 1 s of every start); and
 * OpenBLAS's thread pool is put under {@link BlasThreads}.
 */
public final class Engine {
    private static volatile boolean loaded;

    private Engine() {}

    /** Sets libtorch's intra-op thread count (default: one per core). */
    public static void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + n);
        }
        load();
        torch.set_num_threads(n);
        BlasThreads.init(); // OpenBLAS follows libtorch's new count
    }

    /** Extracts and loads the natives (idempotent, thread-safe). */
    public static void load() {
        if (loaded) {
            return;
        }
        synchronized (Engine.class) {
            if (loaded) {
                return;
            }
            if (System.getenv("OMP_WAIT_POLICY") == null && !Boolean.getBoolean("blip4j.quiet")) {
                org.slf4j.LoggerFactory.getLogger(Engine.class)
                        .debug("OMP_WAIT_POLICY is not set; the bin/blip4j launcher sets it to passive (see README)");
            }
            skipGpuProbesWithoutGpuNatives();
            try {
                Loader.cacheResources(torch.class, "/org/bytedeco/pytorch/" + Loader.getPlatform() + "/");
            } catch (Exception e) {
                throw new IllegalStateException(
                        "could not extract the libtorch natives into the JavaCPP cache: " + e, e);
            }
            Loader.load(torch.class);
            IntraOpThreads.apply();
            BlasThreads.init();
            MachineLoad.prime(); // the adaptive BLAS choice measures other processes from here
            loaded = true;
        }
    }

    /** JavaCPP's system property that selects a build variant such as {@code -gpu} (empty: the plain build). */
    static final String PLATFORM_EXTENSION = "org.bytedeco.javacpp.platform.extension";

    /**
     * Without a platform extension, JavaCPP also tries the presets' {@code -gpu} variant and probes for every CUDA
     * library (cudart, cublas, cudnn, ...), each a failed class-path and library-path search, and loads whatever CUDA
     * runtime a system happens to have. When the GPU natives are not on the class path that work is useless, so the
     * extension is set to none; a user's own setting always wins. Must run before JavaCPP reads its platform
     * properties (the first {@code Loader.load}).
     */
    static void skipGpuProbesWithoutGpuNatives() {
        if (System.getProperty(PLATFORM_EXTENSION) != null) {
            return;
        }
        String gpuJni = "org/bytedeco/pytorch/" + Loader.getPlatform() + "-gpu/" + System.mapLibraryName("jnitorch");
        ClassLoader cl = Engine.class.getClassLoader();
        if (cl != null && cl.getResource(gpuJni) == null) {
            System.setProperty(PLATFORM_EXTENSION, "");
        }
    }
}

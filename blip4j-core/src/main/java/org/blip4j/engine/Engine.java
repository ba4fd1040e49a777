package org.blip4j.engine;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.global.torch;

/**
 * Loads libtorch once per JVM, the way {@code engine.md} prescribes: every native library is extracted into the
 * JavaCPP cache before the first load, so a system libtorch can never be picked up by the dynamic linker.
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
      try {
        Loader.cacheResources(torch.class, "/org/bytedeco/pytorch/" + Loader.getPlatform() + "/");
      } catch (Exception e) {
        throw new IllegalStateException("could not extract the libtorch natives into the JavaCPP cache: " + e, e);
      }
      Loader.load(torch.class);
      loaded = true;
    }
  }
}

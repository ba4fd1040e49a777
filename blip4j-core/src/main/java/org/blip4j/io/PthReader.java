package org.blip4j.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** Placeholder until the zip checkpoint reader lands. */
public final class PthReader {
  private PthReader() {}

  public record Checkpoint(Map<String, RawTensor> stateDict) {}

  public static Checkpoint read(Path file) throws IOException {
    throw new CheckpointFormatException(file, ".pth reading not available yet");
  }
}

package org.blip4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.blip4j.Blip;
import org.blip4j.Task;
import picocli.CommandLine.Option;

/** Options every model command shares. */
final class ModelOptions {
  @Option(names = {"-m", "--model"}, required = true, paramLabel = "PATH",
      description = "Model folder (Hugging Face layout) or weight file (.safetensors, .pth) with its config and "
          + "tokenizer beside it.")
  Path model;

  @Option(names = "--task", paramLabel = "TASK",
      description = "Network to build from the checkpoint: ${COMPLETION-CANDIDATES} (default: inferred).")
  Task task;

  @Option(names = "--image-size", paramLabel = "PX", description = "Input resolution (default: from the config).")
  Integer imageSize;

  @Option(names = "--exif", description = "Apply EXIF orientation (the reference does not).")
  boolean exif;

  @Option(names = "--threads", paramLabel = "N", description = "Compute threads (default: all cores).")
  Integer threads;

  @Option(names = "--json", description = "Write JSON Lines instead of text.")
  boolean json;

  @Option(names = {"-v", "--verbose"}, description = "Print stack traces on errors.")
  boolean verbose;

  Blip load() throws IOException {
    if (threads != null) {
      org.blip4j.engine.Engine.setThreads(threads);
    }
    return Blip.load(model, new Blip.Options(task, imageSize, exif));
  }
}

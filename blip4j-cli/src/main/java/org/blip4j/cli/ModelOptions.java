package org.blip4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import org.blip4j.Blip;
import org.blip4j.Task;
import org.blip4j.hub.HubSettings;
import org.blip4j.hub.ModelSource;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Options every model command shares. */
final class ModelOptions {
  @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL",
      description = "Model: local folder, weight file, or a Hugging Face id such as "
          + "Salesforce/blip-image-captioning-base (optionally @revision; downloaded once into the Hugging Face "
          + "cache, see HF_HOME, HF_HUB_OFFLINE).")
  String model;

  @Spec(Spec.Target.MIXEE) CommandSpec mixee;

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
    PrintWriter err = mixee != null ? mixee.commandLine().getErr() : new PrintWriter(System.err, true);
    Path path;
    try (DownloadProgress progress = new DownloadProgress(err)) {
      path = ModelSource.resolve(model, HubSettings.fromEnvironment(), progress);
    }
    return Blip.load(path, new Blip.Options(task, imageSize, exif));
  }
}

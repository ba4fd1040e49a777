package org.blip4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.blip4j.Task;
import org.blip4j.train.Recipe;
import org.blip4j.train.TrainRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code blip4j train}: pre-train or fine-tune from a YAML recipe mirroring BLIP's configs. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Train with a recipe (YAML, keys as BLIP's configs/*.yaml). Checkpoints go to "
        + "<output_dir>/checkpoints (atomic; --resume continues exactly), the trained model to <output_dir>/model.",
    footer = {"", "Examples:",
        "  blip4j train caption --config recipes/caption_coco.yaml",
        "  blip4j train retrieval --config recipes/retrieval_coco.yaml --set batch_size=8 --resume",
        "  blip4j train pretrain --config recipes/pretrain.yaml --set max_steps=100"})
final class TrainCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "TASK", description = "caption, pretrain, retrieval, vqa or nlvr.")
  String task;

  @Option(names = {"-c", "--config"}, required = true, description = "The recipe (YAML).")
  Path config;

  @Option(names = "--resume", description = "Continue from the newest checkpoint in <output_dir>/checkpoints.")
  boolean resume;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a recipe value (repeatable).")
  Map<String, String> overrides = new LinkedHashMap<>();

  @Option(names = {"-v", "--verbose"}, description = "Print stack traces on errors.")
  boolean verbose;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Task t = switch (task.toLowerCase(java.util.Locale.ROOT)) {
      case "caption" -> Task.CAPTION;
      case "pretrain" -> Task.PRETRAIN;
      case "retrieval", "itm" -> Task.ITM;
      case "vqa" -> Task.VQA;
      case "nlvr" -> Task.NLVR;
      default -> throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "unknown task '" + task + "' (caption, pretrain, retrieval, vqa, nlvr)");
    };
    Path model = TrainRunner.run(t, Recipe.read(config, overrides), resume, true);
    spec.commandLine().getOut().println("trained model: " + model);
    return 0;
  }
}

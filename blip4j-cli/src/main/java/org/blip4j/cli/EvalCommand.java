package org.blip4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.blip4j.Blip;
import org.blip4j.data.Annotations;
import org.blip4j.eval.Evaluation;
import org.blip4j.generate.GenerationConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code blip4j eval}: score a model on an evaluation split with the reference's metrics. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "Evaluate: caption (BLEU-1..4, ROUGE-L, CIDEr-D with PTB tokenisation), retrieval (R@1/5/10 both "
        + "directions, ITC top-k re-ranked by ITM), vqa (VQA accuracy), nlvr (accuracy).",
    footer = {"", "Examples:",
        "  blip4j eval caption -m output/caption/model --data coco_karpathy_test.json --images coco/",
        "  blip4j eval retrieval -m model/ --data flickr30k_test.json --images flickr30k/ -k 128",
        "  blip4j eval vqa -m model/ --data vqa_val.json --images vqa/ --answers answer_list.json"})
final class EvalCommand implements Callable<Integer> {
  @Mixin ModelOptions model;

  @Parameters(index = "0", paramLabel = "TASK", description = "caption, retrieval, vqa or nlvr.")
  String task;

  @Option(names = "--data", required = true, description = "Annotation file in BLIP's format for the task.")
  Path data;

  @Option(names = "--images", required = true, description = "Image root folder.")
  Path images;

  @Option(names = "-k", defaultValue = "256", description = "Retrieval candidates re-ranked by ITM (COCO 256, Flickr "
      + "128); VQA rank candidates (default: ${DEFAULT-VALUE}).")
  int k;

  @Option(names = "--answers", description = "VQA: rank this answer list (answer_list.json) instead of generating.")
  Path answers;

  @Option(names = "--beams", defaultValue = "3") int beams;

  @Option(names = "--max-length", defaultValue = "20", description = "Caption max length (caption_coco.yaml: 20).")
  int maxLength;

  @Option(names = "--min-length", defaultValue = "5", description = "Caption min length (caption_coco.yaml: 5).")
  int minLength;

  @Option(names = "--batch-size", defaultValue = "8") int batchSize;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Map<String, Object> result = new LinkedHashMap<>();
    String t = task.toLowerCase(java.util.Locale.ROOT);
    try (Blip blip = model.load(t.equals("caption") || t.equals("vqa") || t.equals("nlvr") ? t : "retrieval")) {
      switch (task.toLowerCase(java.util.Locale.ROOT)) {
        case "caption" -> result.putAll(Evaluation.captions(blip, data, images,
            GenerationConfig.beam(beams, maxLength, minLength), batchSize, null).metrics());
        case "retrieval" -> result.putAll(Evaluation.retrieval(blip, data, images, k, null));
        case "vqa" -> {
          List<String> list = answers == null ? null : Annotations.readAnswerList(answers);
          result.put("vqa_accuracy", Evaluation.vqa(blip, data, images, list, k, null));
        }
        case "nlvr" -> result.put("accuracy", Evaluation.nlvr(blip, data, images, null));
        default -> throw new picocli.CommandLine.ParameterException(spec.commandLine(),
            "unknown task '" + task + "' (caption, retrieval, vqa, nlvr)");
      }
    }
    var out = spec.commandLine().getOut();
    if (model.json) {
      out.println(new ObjectMapper().writeValueAsString(result));
    } else {
      result.forEach((key, v) -> out.printf("%-12s %s%n", key, v));
    }
    return 0;
  }
}

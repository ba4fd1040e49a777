package org.blip4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.blip4j.Blip;
import org.blip4j.Task;
import org.blip4j.testutil.Fixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Recipes run end to end on the fixture (every task), and the exported folder loads for inference. */
class TrainRunnerTest {
  @TempDir Path tmp;

  /** Annotations in BLIP's Karpathy-train / pre-train / VQA formats over the fixture images and captions. */
  private void annotations(Fixture fx) throws Exception {
    ObjectMapper json = new ObjectMapper();
    ArrayNode cap = json.createArrayNode();
    ArrayNode vqa = json.createArrayNode();
    var images = fx.manifest().path("preset_config").path("images");
    var captions = fx.manifest().path("preset_config").path("captions");
    for (int i = 0; i < images.size(); i++) {
      String img = images.get(i).get(0).asText();
      cap.addObject().put("image", img).put("caption", captions.get(i % captions.size()).asText())
          .put("image_id", "img" + i);
      var q = vqa.addObject().put("question", "what is in the picture?").put("image", img).put("dataset", "vqa");
      q.putArray("answer").add(captions.get(i % captions.size()).asText().split(" ")[1]);
    }
    json.writeValue(tmp.resolve("train.json").toFile(), cap);
    json.writeValue(tmp.resolve("vqa.json").toFile(), vqa);
    ArrayNode nlvr = json.createArrayNode();
    for (int i = 0; i < images.size(); i++) {
      var e = nlvr.addObject().put("sentence", captions.get(i % captions.size()).asText())
          .put("label", i % 2 == 0 ? "True" : "False");
      e.putArray("images").add(images.get(i).get(0).asText()).add(images.get((i + 1) % images.size()).get(0).asText());
    }
    json.writeValue(tmp.resolve("nlvr.json").toFile(), nlvr);
  }

  private Recipe recipe(Fixture fx, String pretrained, String extra) throws Exception {
    int n = fx.manifest().path("preset_config").path("images").size();
    String yaml = "pretrained: " + fx.require(pretrained) + "\n"
        + "image_root: " + fx.dir() + "\n"
        + "train_file: " + tmp.resolve(pretrained.contains("vqa") ? "vqa.json" : "train.json") + "\n"
        + "output_dir: " + tmp.resolve("out-" + pretrained) + "\n"
        + "batch_size: " + n + "\nmax_epoch: 2\ninit_lr: 1e-4\nmin_lr: 0\nweight_decay: 0.05\nseed: 7\nworkers: 1\n"
        + "queue_size: " + 4 * n + "\nwarmup_steps: 2\nwarmup_lr: 1e-6\n" + extra;
    Path f = tmp.resolve(pretrained + ".yaml");
    Files.writeString(f, yaml);
    return Recipe.read(f, Map.of());
  }

  @Test
  void captionRecipeTrainsAndExportsALoadableModel() throws Exception {
    try (Fixture fx = Fixture.open()) {
      annotations(fx);
      Path model = TrainRunner.run(Task.CAPTION, recipe(fx, "blip_decoder.pth", ""), false, false);
      Path metrics = tmp.resolve("out-blip_decoder.pth").resolve("checkpoints").resolve("metrics.jsonl");
      assertEquals(2, Files.readAllLines(metrics).size(), "2 epochs of 1 batch");
      try (Blip blip = Blip.load(model)) {
        assertEquals(Task.CAPTION, blip.task());
        String first = fx.manifest().path("preset_config").path("images").get(0).get(0).asText();
        assertFalse(blip.caption(fx.require(first)).isBlank());
      }
    }
  }

  @Test
  void pretrainRetrievalAndVqaRecipesRun() throws Exception {
    try (Fixture fx = Fixture.open()) {
      annotations(fx);
      Path pre = TrainRunner.run(Task.PRETRAIN, recipe(fx, "blip_pretrain.pth", ""), false, false);
      try (Blip blip = Blip.load(pre)) {
        assertEquals(Task.PRETRAIN, blip.task());
      }
      Path ret = TrainRunner.run(Task.ITM, recipe(fx, "blip_retrieval.pth", ""), false, false);
      try (Blip blip = Blip.load(ret)) {
        String first = fx.manifest().path("preset_config").path("images").get(0).get(0).asText();
        double p = blip.itm(blip.readImage(fx.require(first)), List.of("a red circle"), Blip.MatchToken.CLS)[0];
        assertTrue(p >= 0 && p <= 1);
      }
      Path vqa = TrainRunner.run(Task.VQA, recipe(fx, "blip_vqa.pth", ""), false, false);
      try (Blip blip = Blip.load(vqa)) {
        assertEquals(Task.VQA, blip.task());
      }
      Path nlvr = TrainRunner.run(Task.NLVR, recipe(fx, "blip_itm.pth", "train_file: " + tmp.resolve("nlvr.json")
          + "\n"), false, false);
      try (Blip blip = Blip.load(nlvr)) {
        assertEquals(Task.NLVR, blip.task());
        String first = fx.manifest().path("preset_config").path("images").get(0).get(0).asText();
        double p = blip.nlvr(blip.readImage(fx.require(first)), blip.readImage(fx.require(first)), "a statement");
        assertTrue(p >= 0 && p <= 1);
      }
    }
  }
}

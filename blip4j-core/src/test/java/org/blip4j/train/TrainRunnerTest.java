package org.blip4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.blip4j.Blip;
import org.blip4j.Task;
import org.blip4j.config.VisionConfig.PlaceAtOutput;
import org.blip4j.testutil.Fixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Recipes run end to end on the fixture (every task), and the exported folder loads for inference. */
class TrainRunnerTest {
    @TempDir
    Path tmp;

    /** Annotations in BLIP's Karpathy-train / pre-train / VQA formats over the fixture images and captions. */
    private void annotations(Fixture fx) throws Exception {
        ObjectMapper json = new ObjectMapper();
        ArrayNode cap = json.createArrayNode();
        ArrayNode vqa = json.createArrayNode();
        var images = fx.manifest().path("preset_config").path("images");
        var captions = fx.manifest().path("preset_config").path("captions");
        for (int i = 0; i < images.size(); i++) {
            String img = images.get(i).get(0).asText();
            cap.addObject()
                    .put("image", img)
                    .put("caption", captions.get(i % captions.size()).asText())
                    .put("image_id", "img" + i);
            var q = vqa.addObject()
                    .put("question", "what is in the picture?")
                    .put("image", img)
                    .put("dataset", "vqa");
            q.putArray("answer").add(captions.get(i % captions.size()).asText().split(" ")[1]);
        }
        json.writeValue(tmp.resolve("train.json").toFile(), cap);
        json.writeValue(tmp.resolve("vqa.json").toFile(), vqa);
        ArrayNode nlvr = json.createArrayNode();
        for (int i = 0; i < images.size(); i++) {
            var e = nlvr.addObject()
                    .put("sentence", captions.get(i % captions.size()).asText())
                    .put("label", i % 2 == 0 ? "True" : "False");
            e.putArray("images")
                    .add(images.get(i).get(0).asText())
                    .add(images.get((i + 1) % images.size()).get(0).asText());
        }
        json.writeValue(tmp.resolve("nlvr.json").toFile(), nlvr);
    }

    private Recipe recipe(Fixture fx, String pretrained, String extra) throws Exception {
        int n = fx.manifest().path("preset_config").path("images").size();
        String yaml = "pretrained: " + fx.require(pretrained) + "\n"
                + "image_root: " + fx.dir() + "\n"
                + "train_file: " + tmp.resolve(pretrained.contains("vqa") ? "vqa.json" : "train.json") + "\n"
                + "output_dir: " + tmp.resolve("out-" + pretrained) + "\n"
                + "batch_size: " + n
                + "\nmax_epoch: 2\ninit_lr: 1e-4\nmin_lr: 0\nweight_decay: 0.05\nseed: 7\nworkers: 1\n"
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
            Path metrics =
                    tmp.resolve("out-blip_decoder.pth").resolve("checkpoints").resolve("metrics.jsonl");
            assertEquals(2, Files.readAllLines(metrics).size(), "2 epochs of 1 batch");
            try (Blip blip = Blip.load(model)) {
                assertEquals(Task.CAPTION, blip.task());
                String first = fx.manifest()
                        .path("preset_config")
                        .path("images")
                        .get(0)
                        .get(0)
                        .asText();
                assertFalse(blip.caption(fx.require(first)).isBlank());
            }
        }
    }

    @Test
    void aFineTuneCanSwitchOnThePositionEmbeddingAtTheViTsOutput() throws Exception {
        try (Fixture fx = Fixture.open()) {
            annotations(fx);
            Recipe r = recipe(fx, "blip_decoder.pth", "pos_embed_at_output: true\n");
            assertEquals(
                    PlaceAtOutput.NONE,
                    org.blip4j.config.BlipConfig.readHf(fx.require("config.json"))
                            .vision()
                            .placeAtOutput());
            assertEquals(
                    PlaceAtOutput.ADD, TrainRunner.setup(r).config().vision().placeAtOutput());
            Path model = TrainRunner.run(Task.CAPTION, r, false, false);
            var exported = org.blip4j.config.BlipConfig.readHf(model.resolve("config.json"));
            assertEquals(PlaceAtOutput.ADD, exported.vision().placeAtOutput(), "the export keeps the switch");
            try (Blip blip = Blip.load(model)) {
                String first = fx.manifest()
                        .path("preset_config")
                        .path("images")
                        .get(0)
                        .get(0)
                        .asText();
                assertFalse(blip.caption(fx.require(first)).isBlank());
            }
        }
    }

    /** The caption recipe's losses without and with {@code extra} recipe lines (2 steps each). */
    private List<List<Double>> captionLosses(String extra) throws Exception {
        try (Fixture fx = Fixture.open()) {
            annotations(fx);
            Path out = tmp.resolve("out-blip_decoder.pth");
            Path metrics = out.resolve("checkpoints").resolve("metrics.jsonl");
            TrainRunner.run(Task.CAPTION, recipe(fx, "blip_decoder.pth", ""), false, false);
            List<Double> plain = losses(metrics);
            deleteTree(out);
            TrainRunner.run(Task.CAPTION, recipe(fx, "blip_decoder.pth", extra), false, false);
            List<Double> other = losses(metrics);
            assertEquals(plain.size(), other.size());
            return List.of(plain, other);
        }
    }

    @Test
    void vitGradCkptRecipeKeysKeepTheLosses() throws Exception {
        List<List<Double>> l = captionLosses("vit_grad_ckpt: true\nvit_ckpt_layer: 1\n");
        for (int i = 0; i < l.get(0).size(); i++) {
            assertEquals(
                    l.get(0).get(i),
                    l.get(1).get(i),
                    1e-5,
                    "loss of step " + (i + 1) + " with the last ViT block checkpointed");
        }
    }

    /** {@code precision: bf16} reaches the Trainer: the losses move by bf16 rounding, no more. */
    @Test
    void precisionBf16RecipeTrainsCloseToFloat32() throws Exception {
        List<List<Double>> l = captionLosses("precision: bf16\n");
        boolean moved = false;
        for (int i = 0; i < l.get(0).size(); i++) {
            double plain = l.get(0).get(i);
            assertEquals(plain, l.get(1).get(i), 0.02 * Math.abs(plain), "loss of step " + (i + 1));
            moved |= plain != l.get(1).get(i);
        }
        assertTrue(moved, "bf16 must show in the losses");
    }

    private static List<Double> losses(Path metrics) throws Exception {
        List<Double> out = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(metrics)) {
            out.add(new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(line)
                    .path("loss")
                    .asDouble());
        }
        return out;
    }

    private static void deleteTree(Path dir) throws Exception {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
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
                String first = fx.manifest()
                        .path("preset_config")
                        .path("images")
                        .get(0)
                        .get(0)
                        .asText();
                double p = blip.itm(blip.readImage(fx.require(first)), List.of("a red circle"), Blip.MatchToken.CLS)[0];
                assertTrue(p >= 0 && p <= 1);
            }
            Path vqa = TrainRunner.run(Task.VQA, recipe(fx, "blip_vqa.pth", ""), false, false);
            try (Blip blip = Blip.load(vqa)) {
                assertEquals(Task.VQA, blip.task());
            }
            Path nlvr = TrainRunner.run(
                    Task.NLVR,
                    recipe(fx, "blip_itm.pth", "train_file: " + tmp.resolve("nlvr.json") + "\n"),
                    false,
                    false);
            try (Blip blip = Blip.load(nlvr)) {
                assertEquals(Task.NLVR, blip.task());
                String first = fx.manifest()
                        .path("preset_config")
                        .path("images")
                        .get(0)
                        .get(0)
                        .asText();
                double p =
                        blip.nlvr(blip.readImage(fx.require(first)), blip.readImage(fx.require(first)), "a statement");
                assertTrue(p >= 0 && p <= 1);
            }
        }
    }

    @Test
    void exportHalfWritesFloat16InferenceWeightsThatLoad() throws Exception {
        try (Fixture fx = Fixture.open()) {
            annotations(fx);
            String keys = "min_scale: 1.0\nhflip: 0\nrand_augment: false\ntext_padding: longest\nmax_epoch: 1\n"
                    + "export_half: true\nmax_length: 27\nmin_length: 4\nnum_beams: 2\nno_repeat_ngram_size: 3\n";
            Path halfModel = TrainRunner.run(Task.ITM, recipe(fx, "blip_retrieval.pth", keys), false, false);
            // the recipe's caption settings travel with the model (generation_config.json)
            assertTrue(Files.isRegularFile(halfModel.resolve(org.blip4j.generate.GenerationDefaults.FILE)));
            var halfSd = org.blip4j.io.SafeTensors.open(halfModel.resolve("model.safetensors"))
                    .readAll();
            assertFalse(
                    halfSd.keySet().stream().anyMatch(k -> k.contains("_m.") || k.contains("queue")),
                    halfSd.keySet().toString());
            assertEquals(
                    org.blip4j.io.DType.F16,
                    halfSd.get("visual_encoder.cls_token").dtype());
            String first = fx.manifest()
                    .path("preset_config")
                    .path("images")
                    .get(0)
                    .get(0)
                    .asText();
            try (Blip b = Blip.load(halfModel)) {
                assertEquals(new org.blip4j.generate.GenerationDefaults(2, 27, 4, 3), b.generationDefaults());
                assertEquals(
                        org.blip4j.generate.GenerationConfig.beam(2, 27, 4).withNoRepeatNgramSize(3),
                        b.captionDefaults().generation());
                double p = b.itm(b.readImage(fx.require(first)), List.of("a red circle"), Blip.MatchToken.CLS)[0];
                assertTrue(p >= 0 && p <= 1);
            }
            // the conversion itself: every inference tensor, rounded to float16; training state left out
            var model = new org.blip4j.model.BlipRetrieval(
                    org.blip4j.config.BlipConfig.readHf(fx.require("config.json")), 8, 0.995);
            Init.blip(model, 3, 0.02);
            var named = model.namedTensors();
            var full = TrainRunner.exportWeights(named, false);
            var half = TrainRunner.exportWeights(named, true);
            assertEquals(named.keySet(), full.keySet());
            assertTrue(full.keySet().stream().anyMatch(k -> k.contains("_m.")) && full.containsKey("image_queue"));
            for (String k : full.keySet()) {
                boolean training = k.contains("_m.") || k.contains("queue");
                assertEquals(!training, half.containsKey(k), k);
                if (!training && full.get(k).dtype() == org.blip4j.io.DType.F32) {
                    float[] f = full.get(k).toFloats();
                    float[] h = half.get(k).toFloats();
                    for (int i = 0; i < f.length; i++) {
                        assertEquals(org.blip4j.io.Half.toFloat(org.blip4j.io.Half.fromFloat(f[i])), h[i], 0f, k);
                    }
                }
            }
        }
    }

    /**
     * {@code max_epoch: 0} takes no step: the export is the pre-trained checkpoint's retrieval network, each tensor
     * the float16 rounding of the checkpoint's, without the decoder or the training state; from scratch it is refused.
     */
    @Test
    void maxEpochZeroExportsThePretrainedTaskNetworkUntrained() throws Exception {
        try (Fixture fx = Fixture.open()) {
            annotations(fx);
            Path model = TrainRunner.run(
                    Task.ITM, recipe(fx, "blip_pretrain.pth", "max_epoch: 0\nexport_half: true\n"), false, false);
            assertFalse(Files.exists(model.getParent().resolve("checkpoints")), "no training step, no checkpoint");
            var source = org.blip4j.weights.WeightLoader.canonical(
                    org.blip4j.weights.Checkpoints.read(fx.require("blip_pretrain.pth")));
            var exported = org.blip4j.io.SafeTensors.open(model.resolve("model.safetensors"))
                    .readAll();
            assertTrue(exported.keySet().stream().noneMatch(k -> k.startsWith("text_decoder.")), "no decoder");
            assertTrue(exported.keySet().stream().noneMatch(k -> k.contains("_m.") || k.contains("queue")));
            assertTrue(exported.containsKey("itm_head.weight") && exported.containsKey("vision_proj.weight"));
            for (var e : exported.entrySet()) {
                var src = source.get(e.getKey());
                assertTrue(src != null, e.getKey() + " is not in the pre-trained checkpoint");
                if (src.dtype() == org.blip4j.io.DType.F32) {
                    float[] f = src.toFloats();
                    float[] h = e.getValue().toFloats();
                    assertEquals(f.length, h.length, e.getKey());
                    for (int i = 0; i < f.length; i++) {
                        assertEquals(org.blip4j.io.Half.toFloat(org.blip4j.io.Half.fromFloat(f[i])), h[i], 0f);
                    }
                }
            }
            try (Blip b = Blip.load(model)) {
                assertEquals(Task.ITM, b.task());
            }
            Path scratch = tmp.resolve("scratch.yaml");
            Files.writeString(
                    scratch,
                    "med_config: " + fx.require("med_config.json") + "\nvocab: " + fx.require("vocab.txt")
                            + "\nvision: {patch_size: 16, hidden_size: 32, num_layers: 1, num_heads: 2,"
                            + " intermediate_size: 64}\nimage_size: 32\ntrain_file: " + tmp.resolve("train.json")
                            + "\nimage_root: " + fx.dir() + "\noutput_dir: " + tmp.resolve("scratch")
                            + "\nmax_epoch: 0\n");
            var e = assertThrows(
                    IllegalArgumentException.class,
                    () -> TrainRunner.run(Task.ITM, Recipe.read(scratch, Map.of()), false, false));
            assertTrue(
                    e.getMessage().contains("scratch.yaml") && e.getMessage().contains("pretrained"), e.getMessage());
        }
    }

    @Test
    void recipeCaptionSettingsAreCheckedBeforeTraining() throws Exception {
        Path f = tmp.resolve("g.yaml");
        Files.writeString(f, "max_length: 6\nmin_length: 9\n");
        var e = assertThrows(IllegalArgumentException.class, () -> TrainRunner.generation(Recipe.read(f, Map.of())));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("min_length 9"), e.getMessage());
        Files.writeString(f, "no_repeat_ngram_size: -1\n");
        e = assertThrows(IllegalArgumentException.class, () -> TrainRunner.generation(Recipe.read(f, Map.of())));
        assertTrue(
                e.getMessage().contains(f.toString()) && e.getMessage().contains("no_repeat_ngram_size"),
                e.getMessage());
        Files.writeString(f, "batch_size: 8\n");
        assertTrue(TrainRunner.generation(Recipe.read(f, Map.of())).isEmpty());
    }

    @Test
    void recipeKeysSelectTheTransformAndPadding() throws Exception {
        Path f = tmp.resolve("r.yaml");
        Files.writeString(f, "min_scale: 1.0\nhflip: 0\nrand_augment: false\ntext_padding: longest\n");
        Recipe r = Recipe.read(f, Map.of());
        assertEquals(
                org.blip4j.text.BertTokenizer.Padding.LONGEST,
                TrainRunner.padding(r, org.blip4j.data.TextEncoding.PRETRAIN).padding());
        assertEquals(
                30,
                TrainRunner.padding(r, org.blip4j.data.TextEncoding.PRETRAIN).maxLength());
        // scale 1, no flip, no RandAugment: the transform is deterministic and equals the plain resize
        var t = TrainRunner.transform(r, 32, 0.2);
        var img = new org.blip4j.image.RgbImage(40, 40, new byte[40 * 40 * 3]);
        for (int i = 0; i < img.rgb().length; i++) {
            img.rgb()[i] = (byte) (i * 7);
        }
        float[] a = t.apply(img, new java.util.SplittableRandom(1)).chw();
        float[] b = t.apply(img, new java.util.SplittableRandom(2)).chw();
        org.junit.jupiter.api.Assertions.assertArrayEquals(a, b);
        Files.writeString(f, "text_padding: shortest\n");
        Recipe bad = Recipe.read(f, Map.of());
        var e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> TrainRunner.padding(bad, org.blip4j.data.TextEncoding.PRETRAIN));
        assertTrue(e.getMessage().contains("text_padding"), e.getMessage());
    }
}

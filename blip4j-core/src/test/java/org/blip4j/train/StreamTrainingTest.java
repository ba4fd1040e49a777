package org.blip4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.blip4j.Blip;
import org.blip4j.Task;
import org.blip4j.shapes.ShapesVocabulary;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recipes with {@code train_stream} (fresh shapes scenes rendered by the loader) and {@code validate} (held-out
 * scenes measured along training): every task trains from them, validation rows land in metrics.jsonl, a resumed
 * run logs the same losses, and a recipe that asks for validation without a stream is refused.
 */
class StreamTrainingTest {
    @TempDir
    Path tmp;

    @BeforeEach
    void files() throws Exception {
        tinyTextFiles(tmp);
    }

    /** A tiny BERT config and the shapes vocabulary, as a from-scratch recipe's med_config.json and vocab.txt. */
    static void tinyTextFiles(Path dir) throws Exception {
        Files.writeString(dir.resolve("med_config.json"), """
        {"hidden_size": 32, "num_attention_heads": 2, "num_hidden_layers": 2, "intermediate_size": 64,
         "vocab_size": 286, "max_position_embeddings": 48, "hidden_act": "gelu", "layer_norm_eps": 1e-12,
         "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0, "type_vocab_size": 2, "pad_token_id": 0,
         "encoder_width": 32, "add_cross_attention": true}""");
        Files.write(dir.resolve("vocab.txt"), ShapesVocabulary.vocabLines());
    }

    private Recipe recipe(String name, String extra) throws Exception {
        return recipe(name, extra, "");
    }

    /** The tiny stream recipe, {@code stream} added inside its train_stream mapping (", key: value"). */
    private Recipe recipe(String name, String extra, String stream) throws Exception {
        String yaml = "med_config: med_config.json\nvocab: vocab.txt\n"
                + "vision: {patch_size: 8, hidden_size: 32, num_layers: 1, num_heads: 2, intermediate_size: 64}\n"
                + "embed_dim: 16\nimage_size: 32\nmin_scale: 1.0\nhflip: 0\nrand_augment: false\ntext_padding: "
                + "longest\ntrain_stream: {world: shapes, seed: 3, epoch_size: 16, min_side: 48, max_side: 80, "
                + "aliased: 0.5" + stream + "}\noutput_dir: out-" + name
                + "\nbatch_size: 4\ninit_lr: 1e-4\nmin_lr: 0\nmax_epoch: 1\nweight_decay: 0.05\n"
                + "queue_size: 8\nwarmup_steps: 2\nseed: 5\nworkers: 1\ncheckpoint_every: 2\n" + extra;
        Path f = tmp.resolve(name + ".yaml");
        Files.writeString(f, yaml);
        return Recipe.read(f, Map.of());
    }

    private static List<JsonNode> rows(Path metrics) throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(metrics)) {
            out.add(json.readTree(l));
        }
        return out;
    }

    @Test
    void pretrainingFromAStreamValidatesAlongTheWayAndResumesExactly() throws Exception {
        Path model = TrainRunner.run(
                Task.PRETRAIN, recipe("pre", "validate: {every: 2, scenes: 6, seed: 4}\n"), false, false);
        Path ckpt = tmp.resolve("out-pre/checkpoints");
        List<JsonNode> all = rows(ckpt.resolve("metrics.jsonl"));
        List<JsonNode> val = all.stream().filter(r -> r.has("val_itm_accuracy")).toList();
        assertEquals(2, val.size(), "validation after steps 2 and 4: " + all);
        for (JsonNode r : val) {
            for (String k : List.of("val_caption_truth", "val_itm_accuracy", "val_itm_ranking", "val_itc_truth_at_1")) {
                double v = r.path(k).asDouble(-1);
                assertTrue(v >= 0 && v <= 1, k + " = " + v);
            }
        }
        assertTrue(Files.size(ckpt.resolve("training.png")) > 0);
        try (Blip b = Blip.load(model)) {
            assertEquals(Task.PRETRAIN, b.task());
        }
        // the same stream again, killed after step 2 and resumed: identical losses
        List<Double> full = all.stream()
                .filter(r -> r.has("loss"))
                .map(r -> r.path("loss").asDouble())
                .toList();
        TrainRunner.run(Task.PRETRAIN, recipe("again", "max_steps: 2\n"), false, false);
        TrainRunner.run(Task.PRETRAIN, recipe("again", ""), true, false);
        List<Double> resumed = rows(tmp.resolve("out-again/checkpoints/metrics.jsonl")).stream()
                .filter(r -> r.has("loss"))
                .map(r -> r.path("loss").asDouble())
                .toList();
        assertEquals(full, resumed);
    }

    @Test
    void everyFineTuneTrainsFromAStream() throws Exception {
        Path pre = TrainRunner.run(Task.PRETRAIN, recipe("base", "max_steps: 1\n"), false, false);
        for (Task t : List.of(Task.CAPTION, Task.ITM, Task.VQA)) {
            String name = t.name().toLowerCase();
            Recipe r = recipe(
                    name,
                    "pretrained: " + pre + "\nmax_steps: 2\nvalidate: {every: 2, scenes: 4, seed: 4}\n"
                            + "export_half: true\n");
            Path model = TrainRunner.run(t, r, false, false);
            List<JsonNode> val = rows(tmp.resolve("out-" + name + "/checkpoints/metrics.jsonl")).stream()
                    .filter(x -> x.fieldNames().next().equals("step") && x.size() > 1 && !x.has("loss"))
                    .toList();
            assertEquals(1, val.size(), t + " validation rows");
            String key = switch (t) {
                case CAPTION -> "val_caption_truth";
                case ITM -> "val_itm_accuracy";
                default -> "val_vqa_accuracy";
            };
            assertTrue(val.get(0).has(key), t + ": " + val.get(0));
            try (Blip b = Blip.load(model)) {
                assertEquals(t, b.task());
            }
        }
    }

    @Test
    void visionInitStartsTheViTFromAnotherRunsWeights() throws Exception {
        Path base = TrainRunner.run(Task.PRETRAIN, recipe("vit", "max_steps: 2\n"), false, false);
        Path weights = base.resolve("model.safetensors");
        // lr 0: the caption run's exported ViT is exactly where vision_init started it; its text side is fresh
        Recipe r = recipe("from-vit", "vision_init: " + weights + "\nmax_steps: 1\n");
        Path f = tmp.resolve("from-vit.yaml");
        Files.writeString(f, Files.readString(f).replace("init_lr: 1e-4", "init_lr: 0"));
        Path model = TrainRunner.run(Task.CAPTION, Recipe.read(f, Map.of()), false, false);
        Map<String, org.blip4j.io.RawTensor> a = org.blip4j.weights.Checkpoints.read(weights);
        Map<String, org.blip4j.io.RawTensor> b =
                org.blip4j.weights.Checkpoints.read(model.resolve("model.safetensors"));
        int vit = 0;
        for (var e : a.entrySet()) {
            if (e.getKey().startsWith("visual_encoder.")) {
                assertEquals(e.getValue().data(), b.get(e.getKey()).data(), e.getKey());
                vit++;
            }
        }
        assertTrue(vit > 5, "ViT tensors compared: " + vit);
        assertTrue(
                !a.get("text_decoder.cls.predictions.decoder.weight")
                        .data()
                        .equals(b.get("text_decoder.cls.predictions.decoder.weight")
                                .data()),
                "the text side is not taken over");
        // 12-px patches at 48 px (the same 4 x 4 grid): the projection is resized, every other ViT tensor copied
        Path g = tmp.resolve("from-vit12.yaml");
        Files.writeString(
                g,
                Files.readString(f)
                        .replace("patch_size: 8", "patch_size: 12")
                        .replace("image_size: 32", "image_size: 48")
                        .replace("out-from-vit", "out-from-vit12"));
        Path model12 = TrainRunner.run(Task.CAPTION, Recipe.read(g, Map.of()), false, false);
        Map<String, org.blip4j.io.RawTensor> c =
                org.blip4j.weights.Checkpoints.read(model12.resolve("model.safetensors"));
        String proj = "visual_encoder.patch_embed.proj.weight";
        float[] want;
        try (var scope = new org.bytedeco.javacpp.PointerScope()) {
            want = org.blip4j.engine.T.toFloats(
                    org.blip4j.weights.PatchEmbed.resize(org.blip4j.engine.T.fromRaw(a.get(proj)), 12));
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(want, c.get(proj).toFloats(), 1e-6f);
        for (var e : a.entrySet()) {
            if (e.getKey().startsWith("visual_encoder.") && !e.getKey().equals(proj)) {
                assertEquals(e.getValue().data(), c.get(e.getKey()).data(), e.getKey());
            }
        }
        // a file without ViT weights is refused with its name
        Path empty = tmp.resolve("novit.safetensors");
        org.blip4j.io.SafeTensors.write(empty, Map.of("x", a.get("temp")), Map.of());
        Exception e = assertThrows(
                Exception.class,
                () -> TrainRunner.run(Task.CAPTION, recipe("bad-vit", "vision_init: " + empty + "\n"), false, false));
        assertTrue(
                e.getMessage().contains("novit.safetensors") && e.getMessage().contains("visual_encoder"),
                e.getMessage());
    }

    @Test
    void questionWeightsAreReadForVqaAndRefusedElsewhere() throws Exception {
        String weighted = "train_stream: {world: shapes, seed: 3, question_weights: {relation: 3, count: '0.5'}}\n";
        Path f = tmp.resolve("w.yaml");
        Files.writeString(f, weighted);
        double[] w = TrainRunner.questionWeights(Recipe.read(f, Map.of()), Task.VQA);
        assertEquals(3.0, w[org.blip4j.shapes.Question.Type.RELATION.ordinal()]);
        assertEquals(0.5, w[org.blip4j.shapes.Question.Type.COUNT.ordinal()]);
        assertEquals(1.0, w[org.blip4j.shapes.Question.Type.COLOR.ordinal()]);
        Exception e = assertThrows(
                IllegalArgumentException.class,
                () -> TrainRunner.questionWeights(Recipe.read(f, Map.of()), Task.CAPTION));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("only VQA"), e.getMessage());
        Files.writeString(f, "train_stream: {world: shapes, seed: 3, question_weights: {relation: -1}}\n");
        e = assertThrows(
                IllegalArgumentException.class, () -> TrainRunner.questionWeights(Recipe.read(f, Map.of()), Task.VQA));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("relation"), e.getMessage());
        Files.writeString(f, "train_stream: {world: shapes, seed: 3, question_weights: {relations: 3}}\n");
        e = assertThrows(IllegalArgumentException.class, () -> Recipe.read(f, Map.of()));
        assertTrue(e.getMessage().contains("relations"), e.getMessage());
        assertEquals(null, TrainRunner.questionWeights(recipe("plain", ""), Task.VQA));
    }

    @Test
    void referentPairsTrainVqaAndAreRefusedElsewhere() throws Exception {
        Path pre = TrainRunner.run(Task.PRETRAIN, recipe("pairs-base", "max_steps: 1\n"), false, false);
        Path vqa = TrainRunner.run(
                Task.VQA,
                recipe(
                        "pairs-vqa",
                        "pretrained: " + pre + "\nmax_steps: 2\n",
                        ", question_weights: {relation: 20}, referent_pairs: 1.0"),
                false,
                false);
        List<JsonNode> losses = rows(tmp.resolve("out-pairs-vqa/checkpoints/metrics.jsonl")).stream()
                .filter(x -> x.has("loss"))
                .toList();
        assertEquals(2, losses.size());
        for (JsonNode r : losses) {
            assertTrue(Double.isFinite(r.path("loss").asDouble(Double.NaN)), r.toString());
        }
        try (Blip b = Blip.load(vqa)) {
            assertEquals(Task.VQA, b.task());
        }
        assertEquals(0.25, TrainRunner.referentPairs(recipe("pairs-rate", "", ", referent_pairs: 0.25"), Task.VQA));
        assertEquals(0.0, TrainRunner.referentPairs(recipe("pairs-none", ""), Task.VQA));
        Exception e = assertThrows(
                IllegalArgumentException.class,
                () -> TrainRunner.referentPairs(recipe("pairs-cap", "", ", referent_pairs: 0.5"), Task.CAPTION));
        assertTrue(e.getMessage().contains("pairs-cap.yaml") && e.getMessage().contains("only VQA"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> TrainRunner.referentPairs(recipe("pairs-big", "", ", referent_pairs: 2"), Task.VQA));
        assertTrue(e.getMessage().contains("[0, 1]"), e.getMessage());
    }

    /**
     * Two pre-training steps, then two retrieval steps from them, each stream with its extra keys: every step's ITM
     * loss is finite and the result loads as a retrieval model.
     */
    private void preTrainThenRetrieval(String name, String preStream, String retStream) throws Exception {
        Path pre = TrainRunner.run(Task.PRETRAIN, recipe(name + "-pre", "max_steps: 2\n", preStream), false, false);
        Path ret = TrainRunner.run(
                Task.ITM, recipe(name + "-ret", "pretrained: " + pre + "\nmax_steps: 2\n", retStream), false, false);
        for (String run : List.of("out-" + name + "-pre", "out-" + name + "-ret")) {
            List<JsonNode> losses = rows(tmp.resolve(run + "/checkpoints/metrics.jsonl")).stream()
                    .filter(x -> x.has("loss_itm"))
                    .toList();
            assertEquals(2, losses.size(), run);
            for (JsonNode r : losses) {
                assertTrue(Double.isFinite(r.path("loss_itm").asDouble(Double.NaN)), run + ": " + r);
            }
        }
        try (Blip b = Blip.load(ret)) {
            assertEquals(Task.ITM, b.task());
        }
    }

    @Test
    void hardNegativesTrainPretrainingAndRetrievalAndAreRefusedElsewhere() throws Exception {
        preTrainThenRetrieval("hard", ", hard_negatives: 1.0", ", hard_negatives: 0.5");
        assertEquals(
                0.5,
                TrainRunner.stream(recipe("styled", "", ", styled: 0.5"), 32).styledFraction());
        assertEquals(0.0, TrainRunner.stream(recipe("plain-outlines", ""), 32).styledFraction());
        assertEquals(0.25, TrainRunner.hardNegatives(recipe("rate", "", ", hard_negatives: 0.25"), Task.ITM));
        assertEquals(0.0, TrainRunner.hardNegatives(recipe("none", ""), Task.PRETRAIN));
        Exception e = assertThrows(
                IllegalArgumentException.class,
                () -> TrainRunner.hardNegatives(recipe("vqa-hard", "", ", hard_negatives: 0.5"), Task.VQA));
        assertTrue(
                e.getMessage().contains("vqa-hard.yaml") && e.getMessage().contains("only pre-training"),
                e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> TrainRunner.hardNegatives(recipe("big", "", ", hard_negatives: 2"), Task.ITM));
        assertTrue(e.getMessage().contains("[0, 1]"), e.getMessage());
    }

    @Test
    void skipTrueNegativesTrainsRetrievalAndIsRefusedWhereNothingIsMined() throws Exception {
        preTrainThenRetrieval(
                "judged", ", skip_true_negatives: true", ", skip_true_negatives: true, hard_negatives: 0.5");
        assertTrue(TrainRunner.skipTrueNegatives(recipe("on", "", ", skip_true_negatives: true"), Task.ITM));
        assertFalse(TrainRunner.skipTrueNegatives(recipe("off", "", ", skip_true_negatives: false"), Task.VQA));
        assertFalse(TrainRunner.skipTrueNegatives(recipe("unset", ""), Task.PRETRAIN));
        Exception e = assertThrows(
                IllegalArgumentException.class,
                () -> TrainRunner.skipTrueNegatives(recipe("vqa-judged", "", ", skip_true_negatives: true"), Task.VQA));
        assertTrue(
                e.getMessage().contains("vqa-judged.yaml") && e.getMessage().contains("only pre-training"),
                e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> TrainRunner.skipTrueNegatives(
                        recipe("all-rank", "negative_all_rank: true\n", ", skip_true_negatives: true"), Task.ITM));
        assertTrue(e.getMessage().contains("negative_all_rank"), e.getMessage());
    }

    @Test
    void patchPositionsAddTheirLossToPreTrainingAndNeverReachAnExport() throws Exception {
        Path pre = TrainRunner.run(
                Task.PRETRAIN,
                recipe("place-pre", "max_steps: 2\npatch_positions: true\nexport_half: true\n"),
                false,
                false);
        List<JsonNode> losses = rows(tmp.resolve("out-place-pre/checkpoints/metrics.jsonl")).stream()
                .filter(x -> x.has("loss"))
                .toList();
        assertEquals(2, losses.size(), losses.toString());
        for (JsonNode r : losses) { // the step's loss is the sum of the four, the place term included
            double place = r.path("loss_place").asDouble(Double.NaN);
            assertTrue(place > 0, r.toString());
            double sum = r.path("loss_ita").asDouble()
                    + r.path("loss_itm").asDouble()
                    + r.path("loss_lm").asDouble();
            assertEquals(
                    r.path("loss").asDouble(),
                    sum + place,
                    1e-3 * r.path("loss").asDouble(),
                    r.toString());
        }
        // the checkpoint keeps the head (a resumed run goes on with it); the exported model does not
        Path latest = TrainCheckpoint.latest(tmp.resolve("out-place-pre/checkpoints"));
        assertTrue(org.blip4j.weights.Checkpoints.read(latest.resolve("model.safetensors"))
                .containsKey("patch_position_head.proj.weight"));
        assertTrue(org.blip4j.weights.Checkpoints.read(pre.resolve("model.safetensors")).keySet().stream()
                .noneMatch(k -> k.startsWith("patch_position_head")));
        // fine-tuning starts from the pre-trained model and refuses the key
        Path cap = TrainRunner.run(
                Task.CAPTION, recipe("place-cap", "pretrained: " + pre + "\nmax_steps: 1\n"), false, false);
        try (Blip b = Blip.load(cap)) {
            assertEquals(Task.CAPTION, b.task());
        }
        Exception e = assertThrows(
                IllegalArgumentException.class,
                () -> TrainRunner.run(
                        Task.CAPTION,
                        recipe("place-cap2", "pretrained: " + pre + "\nmax_steps: 1\npatch_positions: true\n"),
                        false,
                        false));
        assertTrue(
                e.getMessage().contains("place-cap2.yaml") && e.getMessage().contains("patch_positions"),
                e.getMessage());
    }

    @Test
    void patchRelationsAddTheirLossToVqaAndNeverReachAnExport() throws Exception {
        Path pre = TrainRunner.run(Task.PRETRAIN, recipe("rel-base", "max_steps: 1\n"), false, false);
        Path vqa = TrainRunner.run(
                Task.VQA,
                recipe(
                        "rel-vqa",
                        "pretrained: " + pre + "\nmax_steps: 2\npatch_relations: true\nexport_half: true\n",
                        ", question_weights: {relation: 20}"),
                false,
                false);
        List<JsonNode> losses = rows(tmp.resolve("out-rel-vqa/checkpoints/metrics.jsonl")).stream()
                .filter(x -> x.has("loss"))
                .toList();
        assertEquals(2, losses.size(), losses.toString());
        for (JsonNode r : losses) { // a scene of several objects labels its patches: the term is there, and summed
            double rel = r.path("loss_relation").asDouble(Double.NaN);
            assertTrue(rel > 0 && rel < r.path("loss").asDouble(), r.toString());
        }
        // the head starts from BLIP's init on the loaded model, the checkpoint keeps it, the export drops it
        Path latest = TrainCheckpoint.latest(tmp.resolve("out-rel-vqa/checkpoints"));
        assertTrue(org.blip4j.weights.Checkpoints.read(latest.resolve("model.safetensors"))
                .containsKey("patch_relation_head.proj.weight"));
        assertTrue(org.blip4j.weights.Checkpoints.read(vqa.resolve("model.safetensors")).keySet().stream()
                .noneMatch(k -> k.startsWith("patch_relation_head")));
        try (Blip b = Blip.load(vqa)) {
            assertEquals(Task.VQA, b.task());
        }
        // and the VQA model fine-tunes on with the key (a new head again) and without it
        TrainRunner.run(
                Task.VQA,
                recipe("rel-more", "pretrained: " + vqa + "\nmax_steps: 1\npatch_relations: true\n"),
                false,
                false);
        Exception e = assertThrows(
                IllegalArgumentException.class,
                () -> TrainRunner.run(
                        Task.CAPTION,
                        recipe("rel-cap", "pretrained: " + pre + "\nmax_steps: 1\npatch_relations: true\n"),
                        false,
                        false));
        assertTrue(
                e.getMessage().contains("rel-cap.yaml") && e.getMessage().contains("patch_relations"), e.getMessage());
    }

    @Test
    void validationWithoutAStreamIsRefused() throws Exception {
        Path f = tmp.resolve("bad.yaml");
        Files.writeString(
                f,
                "med_config: med_config.json\nvocab: vocab.txt\n"
                        + "vision: {patch_size: 8, hidden_size: 32, num_layers: 1, num_heads: 2, intermediate_size: "
                        + "64}\nembed_dim: 16\nimage_size: 32\ntrain_file: none.json\nimage_root: .\noutput_dir: "
                        + "out-bad\nvalidate: {every: 2}\n");
        Exception e = assertThrows(
                Exception.class, () -> TrainRunner.run(Task.CAPTION, Recipe.read(f, Map.of()), false, false));
        assertTrue(e.getMessage().contains("'validate' needs a 'train_stream'"), e.getMessage());
    }

    /** The ViT's weights, or the text side's, of an exported model, as one array per tensor. */
    private static Map<String, float[]> weights(Path model, boolean vit) throws Exception {
        Map<String, float[]> out = new java.util.TreeMap<>();
        org.blip4j.weights.Checkpoints.read(model.resolve("model.safetensors")).forEach((k, v) -> {
            if (k.startsWith("visual_encoder.") == vit && !k.contains("_m.") && !k.contains("queue")) {
                out.put(k, v.toFloats());
            }
        });
        return out;
    }

    private static boolean same(Map<String, float[]> a, Map<String, float[]> b) {
        return a.keySet().equals(b.keySet())
                && a.keySet().stream().allMatch(k -> java.util.Arrays.equals(a.get(k), b.get(k)));
    }

    @Test
    void visionLrScaleZeroFreezesTheVitAndAScaleBelowOneMovesItLess() throws Exception {
        Path one =
                TrainRunner.run(Task.PRETRAIN, recipe("frozen1", "vision_lr_scale: 0\nmax_steps: 1\n"), false, false);
        Path three =
                TrainRunner.run(Task.PRETRAIN, recipe("frozen3", "vision_lr_scale: 0\nmax_steps: 3\n"), false, false);
        Path full = TrainRunner.run(Task.PRETRAIN, recipe("full3", "max_steps: 3\n"), false, false);
        Path low = TrainRunner.run(Task.PRETRAIN, recipe("low3", "vision_lr_scale: 0.1\nmax_steps: 3\n"), false, false);
        assertTrue(same(weights(one, true), weights(three, true)), "a frozen ViT moved between steps 1 and 3");
        assertTrue(!same(weights(one, false), weights(three, false)), "the text side did not train");
        assertTrue(!same(weights(three, true), weights(full, true)), "the ViT does not train without the scale");
        // the same stream and init: a tenth of the rate moves the ViT less far from where the frozen run left it
        double farLow = distance(weights(three, true), weights(low, true));
        double farFull = distance(weights(three, true), weights(full, true));
        assertTrue(farLow > 0 && farLow < 0.5 * farFull, "ViT moved " + farLow + " at 0.1 vs " + farFull + " at 1");
        var e = assertThrows(
                IllegalArgumentException.class,
                () -> TrainRunner.run(Task.PRETRAIN, recipe("neg", "vision_lr_scale: -1\n"), false, false));
        assertTrue(e.getMessage().contains("vision_lr_scale"), e.getMessage());
    }

    private static double distance(Map<String, float[]> a, Map<String, float[]> b) {
        double d = 0;
        for (String k : a.keySet()) {
            float[] x = a.get(k);
            float[] y = b.get(k);
            for (int i = 0; i < x.length; i++) {
                d += (x[i] - y[i]) * (double) (x[i] - y[i]);
            }
        }
        return Math.sqrt(d);
    }
}

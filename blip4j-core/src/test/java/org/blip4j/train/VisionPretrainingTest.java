package org.blip4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.blip4j.engine.T;
import org.blip4j.io.RawTensor;
import org.blip4j.model.vision.PatchPositionHead;
import org.blip4j.shapes.ShapesStream;
import org.blip4j.weights.Checkpoints;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The vision stage ({@code blip4j train vision}): the ViT alone learns single objects' attributes, validates along
 * the way, resumes to the same weights as an uninterrupted run, and its ViT starts BLIP's pre-training through
 * {@code vision_init}.
 */
class VisionPretrainingTest {
    @TempDir
    Path tmp;

    private Recipe recipe(String name, String extra) throws Exception {
        String yaml = "vision: {patch_size: 8, hidden_size: 32, num_layers: 1, num_heads: 2, intermediate_size: 64}\n"
                + "image_size: 32\nmin_scale: 1.0\nhflip: 0\nrand_augment: false\n"
                + "train_stream: {world: shapes, seed: 3, min_side: 40, max_side: 56, aliased: 0.5, max_objects: 1, "
                + "solid: 0.5}\noutput_dir: out-" + name + "\nbatch_size: 4\ninit_lr: 1e-3\nmin_lr: 0\n"
                + "warmup_steps: 2\nmax_steps: 4\nweight_decay: 0.05\nseed: 5\ncheckpoint_every: 2\n" + extra;
        Path f = tmp.resolve(name + ".yaml");
        Files.writeString(f, yaml);
        return Recipe.read(f, Map.of());
    }

    @Test
    void trainsValidatesAndResumesToTheSameWeights() throws Exception {
        Path model = VisionPretraining.run(recipe("full", "validate: {every: 2, scenes: 6, seed: 9}\n"), false, false);
        Map<String, RawTensor> full = Checkpoints.read(model.resolve("model.safetensors"));
        assertTrue(full.containsKey("visual_encoder.pos_embed"), full.keySet().toString());
        assertTrue(full.containsKey("shape_head.weight") && full.containsKey("color_head.weight"));
        List<JsonNode> rows = new ArrayList<>();
        for (String l : Files.readAllLines(tmp.resolve("out-full/checkpoints/metrics.jsonl"))) {
            rows.add(new ObjectMapper().readTree(l));
        }
        List<JsonNode> val =
                rows.stream().filter(r -> r.has("val_shape_accuracy")).toList();
        assertEquals(2, val.size(), rows.toString());
        for (JsonNode r : val) {
            double a = r.path("val_shape_accuracy").asDouble(-1);
            assertTrue(a >= 0 && a <= 1, r.toString());
        }
        assertTrue(Files.size(tmp.resolve("out-full/checkpoints/training.png")) > 0);

        // killed after step 2, resumed: the same weights as the run that was not interrupted
        VisionPretraining.run(Recipe.read(recipe("again", "").file(), Map.of("max_steps", "2")), false, false);
        Path again = VisionPretraining.run(recipe("again", ""), true, false);
        Map<String, RawTensor> resumed = Checkpoints.read(again.resolve("model.safetensors"));
        for (var e : full.entrySet()) {
            assertEquals(e.getValue().data(), resumed.get(e.getKey()).data(), e.getKey());
        }
    }

    /** {@code precision: bf16}: the same steps in mixed precision end near float32's weights, not on them. */
    @Test
    void precisionBf16TrainsCloseToFloat32() throws Exception {
        Map<String, RawTensor> f32 = Checkpoints.read(
                VisionPretraining.run(recipe("f32", ""), false, false).resolve("model.safetensors"));
        Map<String, RawTensor> mixed =
                Checkpoints.read(VisionPretraining.run(recipe("mixed", "precision: bf16\n"), false, false)
                        .resolve("model.safetensors"));
        double worst = 0;
        boolean moved = false;
        for (var e : f32.entrySet()) {
            float[] a = e.getValue().toFloats();
            float[] b = mixed.get(e.getKey()).toFloats();
            for (int i = 0; i < a.length; i++) {
                worst = Math.max(worst, Math.abs(a[i] - b[i]));
                moved |= a[i] != b[i];
            }
        }
        assertTrue(moved, "bf16 path was not taken");
        // 4 AdamW steps at lr 1e-3 move a weight by at most ~4e-3; bf16 may change the direction, not the scale
        assertTrue(worst < 1e-2, "weights " + worst + " from float32's after 4 steps");
    }

    @Test
    void aStreamOfSeveralObjectsIsRefused() throws Exception {
        Path f = tmp.resolve("many.yaml");
        Files.writeString(f, Files.readString(recipe("x", "").file()).replace("max_objects: 1", "max_objects: 3"));
        Exception e = assertThrows(
                IllegalArgumentException.class, () -> VisionPretraining.run(Recipe.read(f, Map.of()), false, false));
        assertTrue(e.getMessage().contains("max_objects: 1"), e.getMessage());
    }

    @Test
    void itsVitStartsPretraining() throws Exception {
        Path vit = VisionPretraining.run(recipe("vit", ""), false, false).resolve("model.safetensors");
        StreamTrainingTest.tinyTextFiles(tmp);
        Path f = tmp.resolve("pre.yaml");
        Files.writeString(
                f,
                "med_config: med_config.json\nvocab: vocab.txt\nvision_init: " + vit + "\n"
                        + "vision: {patch_size: 8, hidden_size: 32, num_layers: 1, num_heads: 2, "
                        + "intermediate_size: 64}\nembed_dim: 16\nimage_size: 32\nmin_scale: 1.0\nhflip: 0\n"
                        + "rand_augment: false\ntext_padding: longest\ntrain_stream: {world: shapes, seed: 3, "
                        + "epoch_size: 8, min_side: 40, max_side: 56}\noutput_dir: out-pre\nbatch_size: 4\n"
                        + "init_lr: 0\nmin_lr: 0\nmax_epoch: 1\nmax_steps: 1\nqueue_size: 8\nseed: 5\nworkers: 1\n");
        Path model = TrainRunner.run(org.blip4j.Task.PRETRAIN, Recipe.read(f, Map.of()), false, false);
        Map<String, RawTensor> a = Checkpoints.read(vit);
        Map<String, RawTensor> b = Checkpoints.read(model.resolve("model.safetensors"));
        assertEquals(
                a.get("visual_encoder.pos_embed").data(),
                b.get("visual_encoder.pos_embed").data());
        assertEquals(
                a.get("visual_encoder.blocks.0.attn.qkv.weight").data(),
                b.get("visual_encoder.blocks.0.attn.qkv.weight").data());
    }

    @Test
    void patchLabelsMarkThePatchesUnderEachObject() {
        // a 64-px scene on an 8 x 8 grid (8-px cells): a square centred in cell (row 4, col 2), too small to reach
        // a neighbouring cell's centre 8 px away; a 2-px circle near a corner that holds no cell centre, labelled by
        // its own centre's cell (row 0, col 7)
        var square = new org.blip4j.shapes.SceneObject(
                org.blip4j.shapes.ShapeKind.SQUARE,
                org.blip4j.shapes.ShapeColor.RED,
                org.blip4j.shapes.SizeClass.SMALL,
                20,
                36,
                5,
                0,
                0xdc2828,
                15,
                31,
                25,
                41,
                org.blip4j.shapes.Outline.STANDARD);
        var dot = new org.blip4j.shapes.SceneObject(
                org.blip4j.shapes.ShapeKind.CIRCLE,
                org.blip4j.shapes.ShapeColor.BLUE,
                org.blip4j.shapes.SizeClass.SMALL,
                57,
                1.5,
                1,
                0,
                0x285ae1,
                56,
                0.5,
                58,
                2.5,
                org.blip4j.shapes.Outline.STANDARD);
        var bg = new org.blip4j.shapes.Background(
                org.blip4j.shapes.Background.Kind.SOLID, org.blip4j.shapes.BackgroundColor.values()[0], null, 0, 0, 0);
        var scene = new org.blip4j.shapes.Scene(64, bg, 0, 0, List.of(square, dot));
        int grid = 8;
        long[] shape = new long[2 * grid * grid];
        long[] color = new long[2 * grid * grid];
        VisionPretraining.patchLabels(scene, grid, shape, color, grid * grid); // the second scene of a batch
        for (int i = 0; i < grid * grid; i++) {
            assertEquals(0, shape[i], "the first scene's slots are untouched");
        }
        for (int row = 0; row < grid; row++) {
            for (int col = 0; col < grid; col++) {
                int i = grid * grid + row * grid + col;
                if (row == 4 && col == 2) {
                    assertEquals(org.blip4j.shapes.ShapeKind.SQUARE.ordinal(), shape[i]);
                    assertEquals(org.blip4j.shapes.ShapeColor.RED.ordinal(), color[i]);
                } else if (row == 0 && col == 7) {
                    assertEquals(org.blip4j.shapes.ShapeKind.CIRCLE.ordinal(), shape[i]);
                    assertEquals(org.blip4j.shapes.ShapeColor.BLUE.ordinal(), color[i]);
                } else {
                    assertEquals(VisionPretraining.NO_SHAPE, shape[i], "row " + row + " col " + col);
                    assertEquals(VisionPretraining.BACKGROUND_COLOR, color[i], "row " + row + " col " + col);
                }
            }
        }
        // the labels follow the outline as drawn: the square at twice the scale (half side 8.5 px) covers the centres
        // of the eight cells around its own, 8 px away
        var big = square.withOutline(new org.blip4j.shapes.Outline(2, 0.5, 0.6, 0.68, 0.47, 0.32));
        VisionPretraining.patchLabels(new org.blip4j.shapes.Scene(64, bg, 0, 0, List.of(big)), grid, shape, color, 0);
        for (int row = 3; row <= 5; row++) {
            for (int col = 1; col <= 3; col++) {
                assertEquals(org.blip4j.shapes.ShapeKind.SQUARE.ordinal(), shape[row * grid + col], row + "," + col);
            }
        }
        assertEquals(VisionPretraining.NO_SHAPE, shape[2 * grid + 2]);
    }

    @Test
    void patchLabelsTrainOnScenesOfSeveralObjectsAndValidateObjectPatches() throws Exception {
        Path f = tmp.resolve("dense.yaml");
        Files.writeString(
                f,
                Files.readString(recipe("dense", "patch_labels: true\nvalidate: {every: 2, scenes: 6, seed: 9}\n")
                                .file())
                        .replace("max_objects: 1", "max_objects: 3"));
        Path model = VisionPretraining.run(Recipe.read(f, Map.of()), false, false);
        Map<String, RawTensor> w = Checkpoints.read(model.resolve("model.safetensors"));
        assertTrue(
                w.containsKey("patch_shape_head.weight") && w.containsKey("patch_color_head.weight"),
                w.keySet().toString());
        List<JsonNode> val = new ArrayList<>();
        for (String l : Files.readAllLines(tmp.resolve("out-dense/checkpoints/metrics.jsonl"))) {
            JsonNode r = new ObjectMapper().readTree(l);
            if (r.has("val_patch_shape_accuracy")) {
                val.add(r);
            }
        }
        assertEquals(2, val.size());
        for (JsonNode r : val) {
            double a = r.path("val_patch_shape_accuracy").asDouble(-1);
            assertTrue(a >= 0 && a <= 1, r.toString());
        }
        // crops and flips would move objects away from their labels: refused
        Path flip = tmp.resolve("flip.yaml");
        Files.writeString(flip, Files.readString(f).replace("hflip: 0", "hflip: 0.5"));
        Exception e = assertThrows(
                IllegalArgumentException.class, () -> VisionPretraining.run(Recipe.read(flip, Map.of()), false, false));
        assertTrue(e.getMessage().contains("patch_labels"), e.getMessage());
    }

    @Test
    void patchPositionsTeachEveryPatchTokenItsOwnRowAndColumn() throws Exception {
        // labels: row-major, as the ViT's tokens, repeated for each scene of the batch
        Tensor[] place = PatchPositionHead.labels(3, 2);
        assertArrayEquals(new long[] {0, 0, 0, 1, 1, 1, 2, 2, 2, 0, 0, 0, 1, 1, 1, 2, 2, 2}, T.toLongs(place[0]));
        assertArrayEquals(new long[] {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2}, T.toLongs(place[1]));

        Path f = tmp.resolve("place.yaml");
        Files.writeString(
                f,
                Files.readString(recipe(
                                        "place",
                                        "patch_labels: true\npatch_positions: true\n"
                                                + "validate: {every: 120, scenes: 8, seed: 9}\n")
                                .file())
                        .replace("max_objects: 1", "max_objects: 3")
                        .replace("max_steps: 4", "max_steps: 120")
                        .replace("init_lr: 1e-3", "init_lr: 3e-3"));
        Path model = VisionPretraining.run(Recipe.read(f, Map.of()), false, false);
        Map<String, RawTensor> w = Checkpoints.read(model.resolve("model.safetensors"));
        int grid = 32 / 8;
        assertArrayEquals(
                new long[] {2L * grid, 32},
                w.get("patch_position_head.proj.weight").shape());
        JsonNode last = null;
        for (String l : Files.readAllLines(tmp.resolve("out-place/checkpoints/metrics.jsonl"))) {
            JsonNode r = new ObjectMapper().readTree(l);
            last = r.has("val_patch_position_accuracy") ? r : last;
        }
        assertNotNull(last, "no validation row with val_patch_position_accuracy");
        // chance is 1 / grid² (1/16); the input's position embeddings make it learnable in a hundred steps
        double a = last.path("val_patch_position_accuracy").asDouble();
        assertTrue(a > 0.25, last.toString()); // 0.52 measured: four times chance

        // without patch labels the key is refused
        Path bare = tmp.resolve("bare.yaml");
        Files.writeString(bare, Files.readString(f).replace("patch_labels: true\n", ""));
        Exception e = assertThrows(
                IllegalArgumentException.class, () -> VisionPretraining.run(Recipe.read(bare, Map.of()), false, false));
        assertTrue(e.getMessage().contains("patch_positions needs patch_labels"), e.getMessage());
    }

    @Test
    void patchRelationsTrainAndValidateWhatLiesAroundEachObject() throws Exception {
        Path f = tmp.resolve("around.yaml");
        Files.writeString(
                f,
                Files.readString(recipe(
                                        "around",
                                        "patch_labels: true\npatch_relations: true\n"
                                                + "validate: {every: 2, scenes: 8, seed: 9}\n")
                                .file())
                        .replace("max_objects: 1", "max_objects: 3"));
        Path model = VisionPretraining.run(Recipe.read(f, Map.of()), false, false);
        Map<String, RawTensor> w = Checkpoints.read(model.resolve("model.safetensors"));
        var k = TrainRunner.RELATION_CLASSES;
        assertArrayEquals(
                new long[] {(long) k.relations() * (k.shapes() + k.colors()), 32},
                w.get("patch_relation_head.proj.weight").shape());
        List<JsonNode> val = new ArrayList<>();
        for (String l : Files.readAllLines(tmp.resolve("out-around/checkpoints/metrics.jsonl"))) {
            JsonNode r = new ObjectMapper().readTree(l);
            if (r.has("val_patch_shape_accuracy")) {
                val.add(r);
            }
        }
        assertEquals(2, val.size());
        for (JsonNode r : val) {
            for (String key : List.of("val_patch_relation_shape_accuracy", "val_patch_relation_color_accuracy")) {
                double a = r.path(key).asDouble(-1);
                assertTrue(a >= 0 && a <= 1, key + ": " + r);
            }
        }
        // the labels need the patch labels' unmoved scenes
        Path alone = tmp.resolve("alone.yaml");
        Files.writeString(alone, Files.readString(f).replace("patch_labels: true\n", ""));
        Exception e = assertThrows(
                IllegalArgumentException.class,
                () -> VisionPretraining.run(Recipe.read(alone, Map.of()), false, false));
        assertTrue(e.getMessage().contains("patch_relations needs patch_labels"), e.getMessage());
    }

    @Test
    void validationScenesFollowTheTrainingStreamUnlessMaxObjectsIsGiven() throws Exception {
        ShapesStream train = new ShapesStream(13, 56, 112, 0.3, 8, 0);
        Path f = tmp.resolve("v.yaml");
        Files.writeString(f, "validate: {every: 250, scenes: 8, seed: 3}\n");
        assertEquals(train, VisionPretraining.validationStream(Recipe.read(f, Map.of()), train));
        Files.writeString(f, "validate: {every: 250, scenes: 8, seed: 3, max_objects: 4}\n");
        assertEquals(
                new ShapesStream(13, 56, 112, 0.3, 4, 0),
                VisionPretraining.validationStream(Recipe.read(f, Map.of()), train));
        // a stream with random outlines is validated on the world renderer's own
        ShapesStream styled = new ShapesStream(13, 56, 112, 0.3, 8, 0, 0, 0.5);
        Files.writeString(f, "validate: {every: 250, scenes: 8, seed: 3}\n");
        assertEquals(train, VisionPretraining.validationStream(Recipe.read(f, Map.of()), styled));
    }

    @Test
    void resumeFromAndScheduleStepsContinueAnotherRunExactly() throws Exception {
        // one run of 8 steps, against a run stopped at step 4 of an 8-step schedule and a second run (another
        // output folder) continuing from its checkpoint: the same weights
        Path whole =
                VisionPretraining.run(Recipe.read(recipe("whole", "").file(), Map.of("max_steps", "8")), false, false);
        VisionPretraining.run(recipe("first", "schedule_steps: 8\n"), false, false);
        Path second = VisionPretraining.run(
                Recipe.read(
                        recipe("second", "resume_from: out-first/checkpoints\n").file(), Map.of("max_steps", "8")),
                false,
                false);
        Map<String, RawTensor> a = Checkpoints.read(whole.resolve("model.safetensors"));
        Map<String, RawTensor> b = Checkpoints.read(second.resolve("model.safetensors"));
        for (var e : a.entrySet()) {
            assertEquals(e.getValue().data(), b.get(e.getKey()).data(), e.getKey());
        }
        Path bad = tmp.resolve("bad.yaml");
        Files.writeString(
                bad, Files.readString(recipe("bad", "resume_from: nowhere\n").file()));
        Files.createDirectories(tmp.resolve("nowhere"));
        Exception e = assertThrows(
                java.io.IOException.class, () -> VisionPretraining.run(Recipe.read(bad, Map.of()), false, false));
        assertTrue(e.getMessage().contains("resume_from"), e.getMessage());
    }
}

package org.blip4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.blip4j.io.RawTensor;
import org.blip4j.weights.Checkpoints;
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
}

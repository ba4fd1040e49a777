package org.blip4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.blip4j.config.VisionConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Recipes: unknown keys and wrong types are errors naming the key (with the nearest known key), in the file and in
 * {@code --set}; the key table covers the project's recipes, the reference's configs and every key the code reads.
 */
class RecipeTest {
    @TempDir
    Path tmp;

    Path yaml(String text) throws IOException {
        return Files.writeString(tmp.resolve("r.yaml"), text);
    }

    IllegalArgumentException refused(String text, Map<String, String> overrides) throws IOException {
        Path f = yaml(text);
        return assertThrows(IllegalArgumentException.class, () -> Recipe.read(f, overrides));
    }

    /** The repository's recipes (the module runs in blip4j-core/). */
    static Stream<Path> projectRecipes() throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path dir : List.of(Path.of("../recipes"), Path.of("../recipes/shapes"))) {
            assertTrue(Files.isDirectory(dir), "recipes folder not found: " + dir.toAbsolutePath());
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> p.toString().endsWith(".yaml")).sorted().forEach(out::add);
            }
        }
        assertTrue(out.size() >= 10, "expected the project's recipes, found " + out);
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("projectRecipes")
    void everyProjectRecipeReads(Path recipe) throws IOException {
        Recipe.read(recipe, Map.of());
    }

    /**
     * The shapes recipes train small ViTs from scratch at a global batch (per rank × {@code nproc}) of 32 or more:
     * above lr/batch of about 1e-5 such a ViT stays on its initial plateau and never learns shape
     * (docs/experiments/vit-plateau.md), which is how the first shapes model came to see only colours.
     */
    @ParameterizedTest
    @MethodSource("shapesRecipes")
    void shapesRecipesStayBelowThePlateauLearningRate(Path recipe) throws IOException {
        Recipe r = Recipe.read(recipe, Map.of());
        int batch = r.integer("batch_size", 0) * r.integer("nproc", 1); // the global batch: per rank × ranks
        double lrPerSample = r.number("init_lr", Double.NaN) / batch;
        assertTrue(lrPerSample <= 1e-5, recipe + ": init_lr / (batch_size · nproc) = " + lrPerSample + " > 1e-5");
    }

    static Stream<Path> shapesRecipes() throws IOException {
        return projectRecipes().filter(p -> p.getParent().endsWith("shapes"));
    }

    /**
     * Every key of the reference's configs (salesforce/BLIP, {@code configs/*.yaml} at commit 056a1694), with a
     * value of the type the reference writes: blip4j either uses it or lists it as ignored on purpose.
     */
    static final Map<String, String> REFERENCE_KEYS = referenceKeys();

    static Map<String, String> referenceKeys() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("image_root", "'/export/share/datasets/vision/coco/images/'");
        m.put("ann_root", "'annotation'");
        m.put("coco_gt_root", "'annotation/coco_gt'");
        m.put("pretrained", "'model_base_caption_capfilt_large.pth'");
        m.put("vit", "'base'");
        m.put("vit_grad_ckpt", "False");
        m.put("vit_ckpt_layer", "0");
        m.put("batch_size", "32");
        m.put("init_lr", "1e-5");
        m.put("image_size", "384");
        m.put("max_length", "20");
        m.put("min_length", "5");
        m.put("num_beams", "3");
        m.put("prompt", "'a picture of '");
        m.put("weight_decay", "0.05");
        m.put("min_lr", "0");
        m.put("max_epoch", "5");
        m.put("batch_size_train", "16");
        m.put("batch_size_test", "64");
        m.put("train_file", "['coco_karpathy_train.json', 'vg_caption.json']");
        m.put("laion_path", "''");
        m.put("queue_size", "57600");
        m.put("alpha", "0.4");
        m.put("warmup_lr", "1e-6");
        m.put("lr_decay_rate", "0.9");
        m.put("warmup_steps", "3000");
        m.put("dataset", "'coco'");
        m.put("k_test", "256");
        m.put("negative_all_rank", "True");
        m.put("video_root", "'/videos'");
        m.put("num_frm_test", "8");
        m.put("vqa_root", "'/export/share/datasets/vision/VQA/Images/mscoco/'");
        m.put("vg_root", "'/export/share/datasets/vision/visual-genome/'");
        m.put("train_files", "['vqa_train','vqa_val','vg_qa']");
        m.put("inference", "'rank'");
        return m;
    }

    @Test
    void everyReferenceConfigKeyIsAccepted() throws IOException {
        StringBuilder y = new StringBuilder();
        REFERENCE_KEYS.forEach((k, v) -> y.append(k).append(": ").append(v).append('\n'));
        Recipe r = Recipe.read(yaml(y.toString()), Map.of());
        assertEquals(1e-5, r.number("init_lr", 0), 0.0);
        assertFalse(r.flag("vit_grad_ckpt", true));
        for (String k : REFERENCE_KEYS.keySet()) {
            assertNotNull(RecipeKeys.get(k), k);
        }
        assertTrue(
                r.ignoredKeys().containsAll(List.of("vit", "ann_root", "k_test")),
                r.ignoredKeys().toString());
        assertTrue(r.flag("negative_all_rank", false)); // read: hard negatives from all ranks (docs/training.md)
    }

    @Test
    void everyKeyTheRunnerReadsIsInTheTableWithItsType() throws IOException {
        String src = Files.readString(Path.of("src/main/java/org/blip4j/train/TrainRunner.java"));
        Matcher m = Pattern.compile("\\br\\.(integer|number|flag|string|path|node|has)\\(\"([a-z_]+)\"")
                .matcher(src);
        int found = 0;
        while (m.find()) {
            found++;
            RecipeKeys.Key k = RecipeKeys.get(m.group(2));
            assertNotNull(k, "TrainRunner reads recipe key '" + m.group(2) + "' that RecipeKeys does not list");
            RecipeKeys.Type want = switch (m.group(1)) {
                case "integer" -> RecipeKeys.Type.INT;
                case "number" -> RecipeKeys.Type.NUMBER;
                case "flag" -> RecipeKeys.Type.FLAG;
                default -> null;
            };
            if (want != null) {
                assertEquals(want, k.type(), m.group(2));
            }
            assertFalse(k.type() == RecipeKeys.Type.IGNORED, "key read by the code is listed as ignored: " + k.name());
        }
        assertTrue(found > 20, "the scan found only " + found + " reads; did TrainRunner change shape?");
    }

    @Test
    void aMisspeltKeyIsAnErrorSuggestingTheKnownOne() throws IOException {
        IllegalArgumentException e = refused("batch_size: 8\ngrad_acumulation: 4\n", Map.of());
        assertTrue(e.getMessage().startsWith(tmp.resolve("r.yaml").toString()), e.getMessage());
        assertTrue(
                e.getMessage().contains("unknown recipe key 'grad_acumulation' (did you mean 'grad_accumulation'?)"),
                e.getMessage());
    }

    @Test
    void aMisspeltOverrideIsAnErrorSuggestingTheKnownOne() throws IOException {
        IllegalArgumentException e = refused("batch_size: 8\n", Map.of("grad_acumulation", "4"));
        assertTrue(e.getMessage().startsWith("--set grad_acumulation=4: "), e.getMessage());
        assertTrue(e.getMessage().contains("did you mean 'grad_accumulation'?"), e.getMessage());
    }

    @Test
    void aKeyFarFromEveryKnownOneListsTheKnownKeys() throws IOException {
        IllegalArgumentException e = refused("zzzzzzzzzzzz: 1\n", Map.of());
        assertTrue(e.getMessage().contains("known keys: pretrained, "), e.getMessage());
    }

    @Test
    void overridesOfTheRightTypeApply() throws IOException {
        Recipe r = Recipe.read(
                yaml("batch_size: 8\nvision: {hidden_size: 32}\n"),
                new LinkedHashMap<>(Map.of(
                        "grad_accumulation",
                        "4",
                        "init_lr",
                        "3e-4",
                        "vit_grad_ckpt",
                        "true",
                        "vision.num_layers",
                        "2",
                        "output_dir",
                        "/tmp/a:b#c")));
        assertEquals(4, r.integer("grad_accumulation", 1));
        assertEquals(3e-4, r.number("init_lr", 0), 0.0);
        assertTrue(r.flag("vit_grad_ckpt", false));
        assertEquals(2, r.node("vision").get("num_layers").asInt());
        assertEquals(32, r.node("vision").get("hidden_size").asInt());
        assertEquals(Path.of("/tmp/a:b#c"), r.path("output_dir"));
    }

    @Test
    void flagsMustBeBooleans() throws IOException {
        IllegalArgumentException e = refused("vit_grad_ckpt: 1\n", Map.of());
        assertTrue(e.getMessage().contains("vit_grad_ckpt must be true or false, got 1"), e.getMessage());
        e = refused("batch_size: 8\n", Map.of("rand_augment", "no-thanks"));
        assertTrue(e.getMessage().contains("rand_augment must be true or false"), e.getMessage());
        e = refused("batch_size: 8\n", Map.of("export_half", "1"));
        assertTrue(e.getMessage().contains("export_half must be true or false, got 1"), e.getMessage());
    }

    @Test
    void wrongTypesNameTheKey() throws IOException {
        String msg = refused("batch_size: many\ninit_lr: fast\ntrain_file: {a: 1}\nvision: 3\n", Map.of())
                .getMessage();
        for (String s : List.of(
                "batch_size must be an integer",
                "init_lr must be a number",
                "train_file must be a path or a list of paths",
                "vision must be a mapping")) {
            assertTrue(msg.contains(s), s + " in: " + msg);
        }
        assertTrue(refused("max_steps: 1.5\n", Map.of()).getMessage().contains("max_steps must be an integer"));
        assertTrue(
                refused("seed: 1\n", Map.of("max_epoch", "two")).getMessage().contains("max_epoch must be an integer"));
    }

    @Test
    void mappingKeysAreCheckedToo() throws IOException {
        IllegalArgumentException e = refused("vision: {hiden_size: 32}\n", Map.of());
        assertTrue(
                e.getMessage().contains("unknown recipe key 'vision.hiden_size' (did you mean 'vision.hidden_size'?)"),
                e.getMessage());
        e = refused("batch_size: 8\n", Map.of("vision.num_layer", "2"));
        assertTrue(e.getMessage().contains("did you mean 'vision.num_layers'?"), e.getMessage());
        e = refused("batch_size: 8\n", Map.of("batch_size.x", "2"));
        assertTrue(e.getMessage().contains("unknown recipe key 'batch_size.x'"), e.getMessage());
    }

    @Test
    void editDistance() {
        assertEquals(0, RecipeKeys.distance("seed", "seed"));
        assertEquals(1, RecipeKeys.distance("grad_acumulation", "grad_accumulation"));
        assertEquals(3, RecipeKeys.distance("kitten", "sitting"));
        assertEquals(4, RecipeKeys.distance("", "seed"));
    }

    @Test
    void aVisionMappingCanAddThePositionEmbeddingAtTheOutput() throws Exception {
        Path f = tmp.resolve("vision.yaml");
        String sizes = "vision: {patch_size: 8, hidden_size: 40, num_layers: 2, num_heads: 5, intermediate_size: 80}\n";
        Files.writeString(f, sizes + "image_size: 32\npos_embed_at_output: true\n");
        var v = TrainRunner.visionConfig(Recipe.read(f, Map.of()));
        assertEquals(VisionConfig.PlaceAtOutput.ADD, v.placeAtOutput());
        assertEquals(40, v.hiddenSize());
        assertEquals(4, v.gridSize());
        Files.writeString(f, sizes + "image_size: 32\npos_embed_at_output: normalized\n");
        assertEquals(
                VisionConfig.PlaceAtOutput.NORMALIZED,
                TrainRunner.visionConfig(Recipe.read(f, Map.of())).placeAtOutput());
        assertEquals(
                VisionConfig.PlaceAtOutput.NONE,
                TrainRunner.visionConfig(Recipe.read(f, Map.of("pos_embed_at_output", "false")))
                        .placeAtOutput(),
                "--set pos_embed_at_output=false switches it off");
        Files.writeString(f, sizes + "image_size: 32\npos_embed_at_output: scaled\n");
        var e = assertThrows(IllegalArgumentException.class, () -> TrainRunner.visionConfig(Recipe.read(f, Map.of())));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("scaled"), e.getMessage());
        Files.writeString(f, "vision: {patch_size: 8, hidden_size: 40, num_heads: 5}\nimage_size: 32\n");
        assertEquals(
                VisionConfig.PlaceAtOutput.NONE,
                TrainRunner.visionConfig(Recipe.read(f, Map.of())).placeAtOutput(),
                "BLIP's ViT by default");
    }
}

package org.blip4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.blip4j.Task;
import org.blip4j.data.Batch;
import org.blip4j.data.CaptionDataset;
import org.blip4j.data.Collate;
import org.blip4j.data.DataLoader;
import org.blip4j.data.TextEncoding;
import org.blip4j.dist.Distributed;
import org.blip4j.dist.Launcher;
import org.blip4j.engine.T;
import org.blip4j.io.RawTensor;
import org.blip4j.io.SafeTensors;
import org.blip4j.model.BlipPretrain;
import org.blip4j.testutil.Fixture;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-parallel training on the fixture model, two real ranks (c10d Gloo on loopback) against one process:
 *
 * <ul>
 *   <li>caption fine-tuning, 2 ranks × batch 2 = 1 process × batch 4: the same losses and weights. This holds
 *       because the captions have the same number of tokens (BLIP's LM loss is a mean over a rank's tokens, and DDP
 *       averages the ranks' gradients, which equals the mean over all tokens only for equal counts);
 *   <li>pre-training: BLIP's ITC and ITM use each rank's own batch as in-batch negatives (only the queues are
 *       shared, via concat_all_gather), so 2 × 2 is by design not 1 × 4; the reference is one process computing
 *       exactly that: the batch of 4 split into the ranks' halves, each half's losses from the same weights and
 *       queue, gradients averaged, both halves' momentum features enqueued in rank order. Same losses, weights,
 *       momentum encoders and queues;
 *   <li>retrieval with negative_all_rank and per-rank text padding: the ranks stay bit-identical; in one process
 *       the all-rank path is the local one;
 *   <li>the vision stage with patch labels, 2 ranks × batch 2 = 1 process × batch 4: the same scenes, losses and
 *       weights (each rank's terms weighted by its share of the labelled patches);
 *   <li>every run: both ranks log the same weights hash, that of the exported model.
 * </ul>
 */
class DistributedTrainingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern HASH = Pattern.compile("\\[rank (\\d)\\] .*rank \\1: weights sha256 ([0-9a-f]{64})");

    @TempDir
    static Path tmp;

    /** What the two ranks printed while running the caption, pre-training and retrieval recipes "two-*". */
    private static String log;

    /** The three two-rank runs, in one launch (one start-up and rendezvous for all). */
    @BeforeAll
    static void trainOnTwoRanks() throws Exception {
        try (Fixture fx = Fixture.open()) {
            annotations(fx);
            log = twoRanks(
                    Task.CAPTION + "=" + recipe(fx, "two-caption", "blip_decoder.pth", 2, ""),
                    Task.PRETRAIN + "=" + recipe(fx, "two-pretrain", "blip_pretrain.pth", 2, ""),
                    Task.ITM + "="
                            + recipe(
                                    fx,
                                    "two-retrieval",
                                    "blip_retrieval.pth",
                                    2,
                                    "negative_all_rank: true\ntext_padding: longest\nbucket_cap_mb: 0.05\n"),
                    "VISION=" + visionRecipe("two-vision", 2));
        }
    }

    /** 8 pairs over the fixture images; captions are rotations of one fixture caption, so equally many tokens. */
    private static void annotations(Fixture fx) throws Exception {
        var images = fx.manifest().path("preset_config").path("images");
        String[] words = fx.manifest()
                .path("preset_config")
                .path("captions")
                .get(0)
                .asText()
                .replace(".", "")
                .split(" ");
        ArrayNode ann = JSON.createArrayNode();
        for (int i = 0; i < 8; i++) {
            List<String> rot = new ArrayList<>(Arrays.asList(words));
            java.util.Collections.rotate(rot, i);
            ann.addObject()
                    .put("image", images.get(i % images.size()).get(0).asText())
                    .put("caption", String.join(" ", rot))
                    .put("image_id", "img" + (i % images.size()));
        }
        JSON.writeValue(tmp.resolve("train.json").toFile(), ann);
    }

    private static Path recipe(Fixture fx, String name, String weights, int batch, String extra) throws Exception {
        // the checkpoint's own queue size, so the queues load from it instead of starting random
        long[] queue = org.blip4j.weights.Checkpoints.read(fx.require(weights)).entrySet().stream()
                .filter(e -> e.getKey().endsWith("image_queue"))
                .map(e -> e.getValue().shape())
                .findFirst()
                .orElse(new long[] {1, 16});
        assertEquals(0, queue[1] % 4, "the fixture's queue must take 2 ranks × 2 (BLIP asserts it)");
        Path f = tmp.resolve(name + ".yaml");
        Files.writeString(
                f,
                "pretrained: " + fx.require(weights) + "\nimage_root: " + fx.dir() + "\ntrain_file: "
                        + tmp.resolve("train.json") + "\noutput_dir: " + tmp.resolve(name) + "\nbatch_size: " + batch
                        + "\nmax_epoch: 2\ninit_lr: 1e-3\nmin_lr: 0\nweight_decay: 0.05\nseed: 7\nworkers: "
                        + "1\nqueue_size: "
                        + queue[1] + "\nwarmup_steps: 2\nwarmup_lr: 1e-4\n" + extra);
        return f;
    }

    /**
     * The vision stage with patch labels on scenes of 1–3 objects: the ranks' shares of labelled patches differ from
     * step to step, so only share-weighted losses make 2 × b equal 1 × 2b.
     */
    private static Path visionRecipe(String name, int batch) throws Exception {
        Path f = tmp.resolve(name + ".yaml");
        Files.writeString(
                f,
                "vision: {patch_size: 8, hidden_size: 32, num_layers: 1, num_heads: 2, intermediate_size: 64}\n"
                        + "image_size: 32\nmin_scale: 1.0\nhflip: 0\nrand_augment: false\npatch_labels: true\n"
                        + "train_stream: {world: shapes, seed: 3, min_side: 40, max_side: 56, aliased: 0.5, "
                        + "max_objects: 3, solid: 0.5}\noutput_dir: " + tmp.resolve(name) + "\nbatch_size: " + batch
                        + "\ninit_lr: 1e-3\nmin_lr: 0\nwarmup_steps: 2\nmax_steps: 4\nweight_decay: 0.05\nseed: 5\n"
                        + "checkpoint_every: 2\n");
        return f;
    }

    /** Runs the jobs ({@code TASK=recipe}) as 2 ranks; returns what they printed. */
    private static String twoRanks(String... jobs) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PrintStream p = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            Launcher.Result r = Launcher.run(
                    new Launcher.Spec(2, 1, 0, "127.0.0.1", 0, Duration.ofSeconds(5)),
                    Launcher.javaCommand(TrainWorker.class.getName(), List.of(jobs)),
                    p,
                    p);
            String log = out.toString(StandardCharsets.UTF_8);
            assertEquals(0, r.exitCode(), log);
            return log;
        }
    }

    private static List<JsonNode> metrics(Path out) throws Exception {
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("checkpoints").resolve("metrics.jsonl"))) {
            rows.add(JSON.readTree(line));
        }
        return rows;
    }

    private static void assertSameLosses(List<JsonNode> expected, List<JsonNode> actual, double tol) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            for (var it = expected.get(i).fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (k.startsWith("loss")) {
                    double e = expected.get(i).get(k).asDouble();
                    assertEquals(e, actual.get(i).get(k).asDouble(), tol, k + " of step " + (i + 1));
                }
            }
        }
    }

    /**
     * Tensors equal within {@code tol}, except for at most 0.2 % of the float elements, which may differ by up to
     * {@code 2 · lr · steps}: elements whose true gradient is (about) zero — attention key biases are exactly that,
     * as softmax ignores a shift shared by all keys — get a gradient of pure float rounding, which differs between
     * two summation orders, and Adam's normalisation turns it into a full ±lr step. A real fault (wrong shard, missing
     * average, wrong gather) moves most elements by about lr.
     */
    private static void assertSameTensors(
            Map<String, RawTensor> expected, Map<String, RawTensor> actual, double tol, double noiseBound) {
        assertEquals(expected.keySet(), actual.keySet());
        long elements = 0;
        List<String> outside = new ArrayList<>();
        for (String k : expected.keySet()) {
            assertEquals(expected.get(k).dtype(), actual.get(k).dtype(), k);
            if (expected.get(k).dtype() == org.blip4j.io.DType.I64) {
                assertTrue(
                        Arrays.equals(expected.get(k).toLongs(), actual.get(k).toLongs()), k);
                continue;
            }
            float[] e = expected.get(k).toFloats();
            float[] a = actual.get(k).toFloats();
            elements += e.length;
            for (int i = 0; i < e.length; i++) {
                double d = Math.abs(e[i] - a[i]);
                assertTrue(d <= noiseBound, k + "[" + i + "]: " + e[i] + " vs " + a[i]);
                if (d > tol) {
                    outside.add(k + "[" + i + "]");
                }
            }
        }
        assertTrue(
                outside.size() <= elements / 500,
                outside.size() + " of " + elements + " elements differ by more than " + tol + ": "
                        + outside.subList(0, Math.min(20, outside.size())));
    }

    private static Map<String, RawTensor> exported(Path out) throws Exception {
        try (SafeTensors s = SafeTensors.open(out.resolve("model").resolve("model.safetensors"))) {
            return s.readAll();
        }
    }

    /**
     * Both ranks logged the same hash at the end of the {@code job}-th run of the launch, and it is the fingerprint
     * of the exported (rank 0) weights.
     */
    private static void assertRanksHoldTheExportedWeights(int job, Path out) throws Exception {
        Map<String, String> hashes = new LinkedHashMap<>();
        Matcher m = HASH.matcher(log);
        int[] seen = new int[2];
        while (m.find()) {
            int rank = Integer.parseInt(m.group(1));
            if (seen[rank]++ == job) {
                hashes.put(m.group(1), m.group(2));
            }
        }
        assertEquals(2, hashes.size(), log);
        Map<String, Tensor> named = new LinkedHashMap<>();
        exported(out).forEach((k, v) -> named.put(k, T.fromRaw(v)));
        assertEquals(Distributed.fingerprint(named), hashes.get("0"));
        assertEquals(hashes.get("0"), hashes.get("1"));
    }

    @Test
    void captionTwoRanksOfBatch2EqualOneProcessOfBatch4() throws Exception {
        try (Fixture fx = Fixture.open()) {
            TrainRunner.run(
                    Task.CAPTION,
                    Recipe.read(recipe(fx, "one-caption", "blip_decoder.pth", 4, ""), Map.of()),
                    false,
                    false);
            List<JsonNode> one = metrics(tmp.resolve("one-caption"));
            assertEquals(4, one.size(), "2 epochs of 2 steps");
            assertSameLosses(one, metrics(tmp.resolve("two-caption")), 1e-5);
            assertSameTensors(
                    exported(tmp.resolve("one-caption")), exported(tmp.resolve("two-caption")), 1e-5, 2 * 1e-3 * 4);
            assertRanksHoldTheExportedWeights(0, tmp.resolve("two-caption"));
        }
    }

    @Test
    void pretrainTwoRanksEqualTheBatchSplitIntoRankHalvesInOneProcess() throws Exception {
        try (Fixture fx = Fixture.open()) {
            Recipe r = Recipe.read(recipe(fx, "one-pretrain", "blip_pretrain.pth", 4, ""), Map.of());
            BlipPretrain m = splitReference(r, 2);
            Map<String, RawTensor> reference = new LinkedHashMap<>();
            try (NoGradGuard g = new NoGradGuard()) {
                m.namedTensors().forEach((k, v) -> reference.put(k, T.toRaw(v)));
            }
            assertSameLosses(metrics(tmp.resolve("one-pretrain")), metrics(tmp.resolve("two-pretrain")), 1e-5);
            Map<String, RawTensor> two = exported(tmp.resolve("two-pretrain"));
            assertTrue(two.containsKey("image_queue")
                    && two.containsKey("text_encoder_m.embeddings.word_embeddings.weight"));
            assertSameTensors(reference, two, 1e-5, 2 * 1e-3 * 4); // weights, momentum encoders, queues, pointer
            assertRanksHoldTheExportedWeights(1, tmp.resolve("two-pretrain"));
        }
    }

    @Test
    void retrievalWithNegativesFromAllRanksKeepsTheRanksIdentical() throws Exception {
        try (Fixture fx = Fixture.open()) {
            assertRanksHoldTheExportedWeights(2, tmp.resolve("two-retrieval"));
            assertEquals(4, metrics(tmp.resolve("two-retrieval")).size());
            Matcher buckets = Pattern.compile("gradients in (\\d+) bucket").matcher(log);
            int last = 0;
            while (buckets.find()) {
                last = Integer.parseInt(buckets.group(1)); // the retrieval run's (it runs last)
            }
            assertTrue(last > 1, "bucket_cap_mb 0.05 gives several buckets: " + log);
            // one process: negatives "from all ranks" are this batch's, drawn as the local path draws them
            Map<String, String> oneEpoch = Map.of("max_epoch", "1");
            TrainRunner.run(
                    Task.ITM, Recipe.read(recipe(fx, "local", "blip_retrieval.pth", 4, ""), oneEpoch), false, false);
            TrainRunner.run(
                    Task.ITM,
                    Recipe.read(recipe(fx, "all", "blip_retrieval.pth", 4, "negative_all_rank: true\n"), oneEpoch),
                    false,
                    false);
            assertSameLosses(metrics(tmp.resolve("local")), metrics(tmp.resolve("all")), 1e-6);
        }
    }

    @Test
    void visionStageTwoRanksOfBatch2EqualOneProcessOfBatch4() throws Exception {
        VisionPretraining.run(Recipe.read(visionRecipe("one-vision", 4), Map.of()), false, false);
        List<JsonNode> one = metrics(tmp.resolve("one-vision"));
        assertEquals(2, one.size(), "rows at steps 2 and 4");
        assertSameLosses(one, metrics(tmp.resolve("two-vision")), 1e-4);
        for (int i = 0; i < one.size(); i++) { // the logged accuracy counts the global batch's object patches
            assertEquals(
                    one.get(i).get("train_patch_shape_accuracy").asDouble(),
                    metrics(tmp.resolve("two-vision"))
                            .get(i)
                            .get("train_patch_shape_accuracy")
                            .asDouble(),
                    1e-9);
        }
        assertSameTensors(exported(tmp.resolve("one-vision")), exported(tmp.resolve("two-vision")), 1e-5, 2 * 1e-3 * 4);
        assertRanksHoldTheExportedWeights(3, tmp.resolve("two-vision"));
    }

    /**
     * Pre-trains as TrainRunner would with batch {@code world}·b, but each step computes BLIP's per-rank objective on
     * the rows rank r would get (rows r, r + world, …: the sampler's stride), from the same weights and queues, seeded
     * as rank r, and back-propagates 1/world of them (so the parameters' gradients are DDP's average); then writes
     * every rank's momentum features into the queues in rank order (concat_all_gather). Logs the mean of the ranks'
     * losses.
     */
    private BlipPretrain splitReference(Recipe r, int world) throws Exception {
        TrainRunner.Setup s = TrainRunner.setup(r);
        long seed = r.integer("seed", 42);
        BlipPretrain m = TrainRunner.prepare(
                new BlipPretrain(s.config(), r.integer("queue_size", 0), 0.995), s, Task.PRETRAIN, seed);
        CaptionDataset ds = CaptionDataset.pretrain(
                List.of(r.path("train_file")),
                r.path("image_root"),
                TrainRunner.transform(r, s.config().vision().imageSize(), 0.2));
        int batch = r.integer("batch_size", 0);
        Trainer.Objective<Batch> perRank =
                Objectives.pretrain(m, 0.4, s.tokenizer().encId(), s.tokenizer().bosId());
        Map<String, Tensor> trainable = m.trainableParameters();
        trainable.values().forEach(t -> t.set_requires_grad(true));
        AdamW opt = AdamW.blip(trainable, r.number("init_lr", 0), r.number("weight_decay", 0));
        double initLr = r.number("init_lr", 0);
        double warmLr = r.number("warmup_lr", 0);
        long warmSteps = r.integer("warmup_steps", 0);
        try (DataLoader<Batch> l =
                TrainRunner.loader(ds, Collate.captions(s.tokenizer(), TextEncoding.PRETRAIN), batch, seed, 1)) {
            Trainer.EpochData<Batch> data = Trainer.EpochData.of(l);
            new Trainer<>(
                            m,
                            trainable,
                            opt,
                            split(m, perRank, world),
                            data,
                            (e, b, n) -> e == 0
                                    ? Schedules.warmup(b, warmSteps, warmLr, initLr)
                                    : Schedules.step(e, initLr, 0, 0.9),
                            new Trainer.Options(
                                    r.path("output_dir").resolve("checkpoints"),
                                    r.integer("max_epoch", 1),
                                    seed,
                                    1,
                                    0,
                                    1,
                                    0,
                                    false,
                                    false))
                    .fit();
        }
        return m;
    }

    private static Trainer.Objective<Batch> split(BlipPretrain m, Trainer.Objective<Batch> perRank, int world) {
        return (batch, s) -> {
            Map<String, Tensor> named = m.namedTensors();
            Map<String, Tensor> before = new LinkedHashMap<>(); // momentum encoders, queues, pointer
            try (NoGradGuard g = new NoGradGuard()) {
                named.forEach((k, v) -> {
                    if (TrainRunner.TRAINING_STATE.matcher(k).matches()) {
                        before.put(k, v.clone());
                    }
                });
            }
            long ptr = T.toLongs(named.get("queue_ptr"))[0];
            long q = named.get("image_queue").size(1);
            int b = batch.size() / world;
            List<Tensor[]> blocks = new ArrayList<>();
            Map<String, Tensor> mean = new LinkedHashMap<>();
            for (int rank = 0; rank < world; rank++) {
                try (NoGradGuard g = new NoGradGuard()) {
                    before.forEach((k, v) -> named.get(k).copy_(v)); // every rank starts the step from the same state
                }
                Trainer.StepInfo info =
                        new Trainer.StepInfo(s.step(), s.epoch(), s.batch(), s.batchesPerEpoch(), s.seed(), rank);
                torch.manual_seed(info.stepSeed());
                Map<String, Tensor> losses = perRank.losses(rows(batch, rank, world), info);
                // backward now: the next rank's forward clamps temp in place, which a pending graph would not allow
                losses.get("loss").div(T.s((double) world)).backward();
                blocks.add(new Tensor[] {
                    named.get("image_queue").narrow(1, ptr, b).clone(),
                    named.get("text_queue").narrow(1, ptr, b).clone()
                });
                losses.forEach((k, v) -> mean.merge(k, v.detach().div(T.s((double) world)), Tensor::add));
            }
            // the gradients are in place; the trainer's backward of this adds zeros
            mean.put("loss", mean.get("loss").add(m.temp().mul(T.s(0.0))));
            try (NoGradGuard g = new NoGradGuard()) {
                for (int rank = 0; rank < world; rank++) {
                    named.get("image_queue").narrow(1, ptr + (long) rank * b, b).copy_(blocks.get(rank)[0]);
                    named.get("text_queue").narrow(1, ptr + (long) rank * b, b).copy_(blocks.get(rank)[1]);
                }
                named.get("queue_ptr").fill_(T.s((ptr + (long) world * b) % q));
            }
            return mean;
        };
    }

    /** Rows rank, rank + world, … of a caption batch (the rows DistributedSampler gives that rank). */
    private static Batch rows(Batch b, int rank, int world) {
        int n = b.size() / world;
        int per = 3 * b.height() * b.width();
        int[] idx = new int[n];
        float[] px = new float[n * per];
        long[][] ids = new long[n][];
        long[][] mask = new long[n][];
        long[] imageIds = new long[n];
        List<String> strings = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int row = i * world + rank;
            idx[i] = b.indices()[row];
            System.arraycopy(b.pixels(), row * per, px, i * per, per);
            ids[i] = b.text().inputIds()[row];
            mask[i] = b.text().attentionMask()[row];
            imageIds[i] = b.imageIds()[row];
            strings.add(b.text().strings().get(row));
        }
        return new Batch(
                idx,
                px,
                1,
                b.height(),
                b.width(),
                new Batch.Text(strings, ids, mask),
                imageIds,
                null,
                null,
                null,
                null,
                null);
    }
}

package org.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code blip4j train --nproc 2}: a rank killed with SIGKILL stops the job with a message naming it; {@code --resume}
 * then reaches the losses of an uninterrupted run. The uninterrupted reference is one process with twice the batch,
 * which data-parallel caption training equals when the captions have equally many tokens (DistributedTrainingTest).
 */
class CliDistributedTrainTest {
    static final CliFixture FX = CliFixture.get();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Path recipe() throws Exception {
        var images = FX.node("preset_config", "images");
        String[] words =
                FX.strings("preset_config", "captions").get(0).replace(".", "").split(" ");
        ArrayNode ann = JSON.createArrayNode();
        for (int i = 0; i < 8; i++) { // rotations of one caption: the same number of tokens in every row
            List<String> rot = new ArrayList<>(Arrays.asList(words));
            Collections.rotate(rot, i);
            ann.addObject()
                    .put("image", images.get(i % images.size()).get(0).asText())
                    .put("caption", String.join(" ", rot))
                    .put("image_id", "img" + (i % images.size()));
        }
        JSON.writeValue(tmp.resolve("train.json").toFile(), ann);
        Path r = tmp.resolve("caption.yaml");
        Files.writeString(
                r,
                "pretrained: " + FX.file("blip_decoder.pth") + "\nimage_root: " + FX.dir + "\ntrain_file: "
                        + tmp.resolve("train.json") + "\noutput_dir: " + tmp.resolve("two")
                        + "\nbatch_size: 2\nmax_epoch: 6\n"
                        + "init_lr: 1e-3\nmin_lr: 0\nseed: 7\nworkers: 1\ncheckpoint_every: 2\nkeep_checkpoints: 1\n");
        return r;
    }

    private static List<Double> losses(Path out) throws Exception {
        List<Double> l = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("checkpoints").resolve("metrics.jsonl"))) {
            JsonNode n = JSON.readTree(line);
            assertEquals(l.size() + 1, n.path("step").asInt(), "steps in order, none twice: " + line);
            l.add(n.path("loss").asDouble());
        }
        return l;
    }

    @Test
    void workersGetTheCommandLineWithoutTheLauncherOptions() throws Exception {
        assertEquals(
                List.of("train", "caption", "-c", "r.yaml", "--resume", "--set", "seed=3"),
                TrainCommand.workerArgs(List.of(
                        "train",
                        "caption",
                        "--nproc",
                        "4",
                        "-c",
                        "r.yaml",
                        "--nnodes=2",
                        "--node-rank",
                        "1",
                        "--resume",
                        "--master-addr",
                        "node0",
                        "--master-port=29501",
                        "--set",
                        "seed=3")));
        Path recipe = Files.writeString(tmp.resolve("r.yaml"), "seed: 1\n");
        CliFixture.Run bad = CliFixture.run(
                "train", "caption", "-c", recipe.toString(), "--nproc", "2", "--nnodes", "2", "--node-rank", "2");
        assertEquals(2, bad.code(), bad.err()); // a usage error
        assertTrue(bad.err().contains("0 <= --node-rank < --nnodes"), bad.err());
        assertFalse(bad.hasStackTrace(), bad.err());
    }

    @Test
    void theVisionStageRunsOnTheRanksItsRecipeNames() throws Exception {
        Path recipe = Files.writeString(
                tmp.resolve("vision.yaml"),
                "vision: {patch_size: 8, hidden_size: 32, num_layers: 1, num_heads: 2, intermediate_size: 64}\n"
                        + "image_size: 32\nmin_scale: 1.0\nhflip: 0\nrand_augment: false\npatch_labels: true\n"
                        + "train_stream: {world: shapes, seed: 3, min_side: 40, max_side: 56, max_objects: 3}\n"
                        + "output_dir: " + tmp.resolve("vision") + "\nbatch_size: 2\nnproc: 2\ninit_lr: 1e-3\n"
                        + "warmup_steps: 1\nmax_steps: 2\nseed: 5\ncheckpoint_every: 2\n");
        CliFixture.Run r =
                CliFixture.run("train", "vision", "-c", recipe.toString()).expect(0);
        String log = r.out() + r.err();
        assertTrue(log.contains("[launcher] rank 1 of 2"), log); // no --nproc: the recipe's nproc: 2
        assertTrue(log.contains("weights identical on all 2 ranks"), log);
        assertTrue(Files.exists(tmp.resolve("vision/model/model.safetensors")), log);
    }

    @Test
    void aKilledRankStopsTheJobAndResumeReachesTheUninterruptedLosses() throws Exception {
        Path recipe = recipe();
        Path metrics = tmp.resolve("two").resolve("checkpoints").resolve("metrics.jsonl");
        Path latest = metrics.resolveSibling("latest"); // written once a checkpoint is complete
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CompletableFuture<Integer> job = CompletableFuture.supplyAsync(() -> Main.run(
                new String[] {"train", "caption", "-c", recipe.toString(), "--nproc", "2"},
                new PrintWriter(out, true),
                new PrintWriter(err, true)));
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        Matcher pid = Pattern.compile("\\[launcher\\] rank 1 of 2: pid (\\d+)").matcher("");
        while (!(Files.exists(latest) && pid.reset(err.toString()).find())) {
            assertFalse(job.isDone(), "the job ended before rank 1 could be killed:\n" + out + err);
            assertTrue(System.nanoTime() < end, "no checkpoint within 120 s:\n" + out + err);
            Thread.sleep(50);
        }
        long rank1 = Long.parseLong(pid.group(1));
        ProcessHandle.of(rank1).orElseThrow().destroyForcibly();
        int code = job.get(60, TimeUnit.SECONDS);
        assertEquals(1, code, out + "\n" + err);
        assertTrue(
                err.toString()
                        .contains("blip4j: training failed: rank 1 (pid " + rank1 + ") was killed by signal 9 "
                                + "(SIGKILL)"),
                err.toString());
        assertFalse(err.toString().contains("\tat "), "no stack trace:\n" + err);
        int before = Files.readAllLines(metrics).size();
        assertTrue(before < 12, "killed before the end: " + before + " steps logged");

        CliFixture.Run resumed = CliFixture.run("train", "caption", "-c", recipe.toString(), "--nproc", "2", "--resume")
                .expect(0);
        assertTrue(resumed.err().contains("resuming from"), resumed.err());
        CliFixture.run(
                        "train",
                        "caption",
                        "-c",
                        recipe.toString(),
                        "--set",
                        "batch_size=4",
                        "--set",
                        "output_dir=" + tmp.resolve("one"),
                        "--set",
                        "checkpoint_every=0")
                .expect(0);
        List<Double> uninterrupted = losses(tmp.resolve("one"));
        List<Double> got = losses(tmp.resolve("two"));
        assertEquals(12, uninterrupted.size());
        assertEquals(uninterrupted.size(), got.size());
        for (int i = 0; i < got.size(); i++) {
            assertEquals(uninterrupted.get(i), got.get(i), 1e-5, "loss of step " + (i + 1));
        }
    }
}

package org.blip4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.blip4j.engine.T;
import org.blip4j.io.RawTensor;
import org.blip4j.io.SafeTensors;
import org.blip4j.nn.Block;
import org.blip4j.weights.LoadPolicy;
import org.blip4j.weights.WeightLoader;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * Training checkpoints: {@code step-<n>/} folders holding {@code model.safetensors} (every tensor, buffers and
 * queues included, original names), {@code optimizer.safetensors} and {@code state.json}; {@code latest} names the
 * newest complete one. A folder is written under a temporary name and renamed when complete, and {@code latest} is
 * replaced atomically, so a crash at any moment leaves the previous checkpoint intact.
 */
public final class TrainCheckpoint {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where training stands: the next step to run and the position inside the epoch. */
    public record State(long step, int epoch, long batchInEpoch, long seed) {}

    private TrainCheckpoint() {}

    /** Writes a checkpoint and returns its folder; older ones beyond {@code keep} are deleted. */
    public static Path save(Path dir, Block model, AdamW opt, State state, Map<String, Object> extra, int keep)
            throws IOException {
        Files.createDirectories(dir);
        Path tmp = Files.createTempDirectory(dir, ".step-" + state.step() + "-");
        Map<String, RawTensor> weights = new LinkedHashMap<>();
        Map<String, RawTensor> optim = new LinkedHashMap<>();
        try (NoGradGuard g = new NoGradGuard()) {
            model.namedTensors().forEach((k, v) -> weights.put(k, T.toRaw(v)));
            opt.state().forEach((k, v) -> optim.put(k, T.toRaw(v)));
        }
        SafeTensors.write(tmp.resolve("model.safetensors"), weights, Map.of("format", "pt", "producer", "blip4j"));
        SafeTensors.write(tmp.resolve("optimizer.safetensors"), optim, Map.of("optimizer", "AdamW"));
        ObjectNode s = JSON.createObjectNode();
        s.put("step", state.step());
        s.put("epoch", state.epoch());
        s.put("batch_in_epoch", state.batchInEpoch());
        s.put("seed", state.seed());
        s.put("optimizer_steps", opt.stepCount());
        s.put("lr", opt.learningRate());
        s.set("extra", JSON.valueToTree(extra));
        Files.writeString(
                tmp.resolve("state.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(s));
        Path target = dir.resolve("step-" + state.step());
        if (Files.exists(target)) {
            deleteTree(target);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        Path latestTmp = dir.resolve(".latest.tmp");
        Files.writeString(latestTmp, target.getFileName().toString());
        try {
            Files.move(
                    latestTmp,
                    dir.resolve("latest"),
                    StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(latestTmp, dir.resolve("latest"), StandardCopyOption.REPLACE_EXISTING);
        }
        prune(dir, keep, target);
        return target;
    }

    /** The newest complete checkpoint folder, or null when there is none. */
    public static Path latest(Path dir) throws IOException {
        Path l = dir.resolve("latest");
        if (!Files.isRegularFile(l)) {
            return null;
        }
        Path p = dir.resolve(Files.readString(l).strip());
        return Files.isRegularFile(p.resolve("state.json")) ? p : null;
    }

    /** Restores model tensors and optimiser state; returns the saved state. */
    public static State load(Path checkpoint, Block model, AdamW opt) throws IOException {
        try (SafeTensors w = SafeTensors.open(checkpoint.resolve("model.safetensors"));
                SafeTensors o = SafeTensors.open(checkpoint.resolve("optimizer.safetensors"))) {
            WeightLoader.load(
                    model,
                    w.readAll(),
                    LoadPolicy.strict(),
                    checkpoint.resolve("model.safetensors").toString());
            Map<String, Tensor> state = new LinkedHashMap<>();
            for (String k : o.entries().keySet()) {
                state.put(k, T.fromRaw(o.get(k)));
            }
            var s = JSON.readTree(checkpoint.resolve("state.json").toFile());
            opt.load(state, s.path("optimizer_steps").asLong());
            return new State(
                    s.path("step").asLong(),
                    s.path("epoch").asInt(),
                    s.path("batch_in_epoch").asLong(),
                    s.path("seed").asLong());
        }
    }

    /** How many data-parallel ranks wrote a checkpoint (its {@code extra.world_size}; 1 for single-process ones). */
    public static int worldSize(Path checkpoint) throws IOException {
        return JSON.readTree(checkpoint.resolve("state.json").toFile())
                .path("extra")
                .path("world_size")
                .asInt(1);
    }

    private static void prune(Path dir, int keep, Path newest) throws IOException {
        List<Path> steps = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> p.getFileName().toString().matches("step-\\d+")).forEach(steps::add);
        }
        steps.sort(Comparator.comparingLong(
                p -> Long.parseLong(p.getFileName().toString().substring(5))));
        for (int i = 0; i < steps.size() - Math.max(1, keep); i++) {
            if (!steps.get(i).equals(newest)) {
                deleteTree(steps.get(i));
            }
        }
    }

    static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(x);
            }
        }
    }
}

package org.blip4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.blip4j.dist.Distributed;
import org.blip4j.dist.GradientSync;
import org.blip4j.engine.Bf16Linear;
import org.blip4j.engine.T;
import org.blip4j.nn.Block;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training loop, written out (nanoGPT style) for every BLIP objective: learning rate per schedule, forward,
 * finite-loss guard, backward with gradient accumulation, finite-gradient guard, AdamW step, metrics as JSON Lines,
 * progress, and atomic checkpoints with exact resume.
 *
 * <p>Every random choice of step s derives from (seed, s) — the objective gets the step number — and the data order
 * from (seed, epoch), so a run resumed from a checkpoint computes the same losses as one that never stopped.
 *
 * <p>As one rank of a data-parallel job ({@link #distributed}), as PyTorch's DistributedDataParallel with BLIP's
 * loops: every rank starts from rank 0's weights and optimiser state (its checkpoint when resuming), averages
 * gradients over the ranks before each update ({@link GradientSync}), logs the mean of the ranks' losses, and stops
 * an epoch as soon as one rank runs out of batches; only rank 0 writes metrics, plots and checkpoints. At the end
 * the ranks check that they hold bit-identical weights.
 */
public final class Trainer<B> {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The data: batches per epoch, and an iterator over an epoch's batches starting at a given batch. */
    public interface EpochData<B> {
        long batchesPerEpoch();

        Iterator<B> epoch(int epoch, long startBatch);

        /** A data loader's epochs; a resumed epoch skips the batches already trained on (same order per seed). */
        static <B> EpochData<B> of(org.blip4j.data.DataLoader<B> loader) {
            return new EpochData<>() {
                @Override
                public long batchesPerEpoch() {
                    return loader.batchesPerEpoch();
                }

                @Override
                public Iterator<B> epoch(int epoch, long startBatch) {
                    Iterator<B> it = loader.epoch(epoch);
                    for (long i = 0; i < startBatch && it.hasNext(); i++) {
                        it.next();
                    }
                    return it;
                }
            };
        }
    }

    /** The task: named losses of one batch; the map must contain "loss", the value that is back-propagated. */
    @FunctionalInterface
    public interface Objective<B> {
        Map<String, Tensor> losses(B batch, StepInfo step);
    }

    /**
     * Where a step is: global step, epoch, batch in the epoch, batches per epoch, the run's seed, and the rank that
     * runs it (0 in a single process).
     */
    public record StepInfo(long step, int epoch, long batch, long batchesPerEpoch, long seed, int rank) {
        public StepInfo(long step, int epoch, long batch, long batchesPerEpoch, long seed) {
            this(step, epoch, batch, batchesPerEpoch, seed, 0);
        }

        /**
         * A seed for this step's random draws (negatives, dropout), independent of thread timing; different on every
         * rank (as BLIP seeds rank r with seed + r), rank 0's being the single-process one.
         */
        public long stepSeed() {
            long s = seed * 0x9E3779B97F4A7C15L + step;
            if (rank == 0) {
                return s;
            }
            long z = s + rank * 0xD1B54A32D192ED03L; // SplitMix64 finaliser
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }
    }

    /** Measures the model during training (e.g. on held-out data); the values are logged as one metrics row. */
    @FunctionalInterface
    public interface Validator {
        Map<String, Double> validate(long step) throws IOException;
    }

    /** Learning rate at a position (epoch, batch in epoch). */
    @FunctionalInterface
    public interface LrSchedule {
        double lr(int epoch, long batch, long batchesPerEpoch);
    }

    /**
     * @param gradAccumulation batches whose gradients are summed (each loss divided by this) before one update
     * @param checkpointEvery optimiser steps between checkpoints (0 = only at epoch ends)
     * @param keepCheckpoints how many step folders to keep
     * @param stopAfterSteps stop early after this many batches in total (0 = run all epochs)
     */
    public record Options(
            Path outDir,
            int epochs,
            long seed,
            int gradAccumulation,
            int checkpointEvery,
            int keepCheckpoints,
            long stopAfterSteps,
            boolean resume,
            boolean progress) {
        public Options {
            if (epochs < 1 || gradAccumulation < 1 || keepCheckpoints < 1) {
                throw new IllegalArgumentException("epochs, gradAccumulation and keepCheckpoints must be at least 1");
            }
        }
    }

    /** Thrown when a loss or gradient is NaN/inf; the last good checkpoint is untouched. */
    public static final class NonFiniteException extends IllegalStateException {
        public NonFiniteException(String message) {
            super(message);
        }
    }

    private final Block model;
    private final AdamW optimizer;
    private final Objective<B> objective;
    private final EpochData<B> data;
    private final LrSchedule schedule;
    private final Options options;
    private final Map<String, Tensor> params;
    private PrintStream progressOut = System.err;
    private Validator validator;
    private long validateEvery;
    private Distributed dist = Distributed.single();
    private GradientSync sync;
    private boolean optimizerInBackward;
    private boolean bf16;

    public Trainer(
            Block model,
            Map<String, Tensor> trainable,
            AdamW optimizer,
            Objective<B> objective,
            EpochData<B> data,
            LrSchedule schedule,
            Options options) {
        this.model = model;
        this.params = trainable;
        this.optimizer = optimizer;
        this.objective = objective;
        this.data = data;
        this.schedule = schedule;
        this.options = options;
    }

    /**
     * Updates each parameter inside backward as soon as its gradient is complete and drops that gradient at once
     * ({@link AdamW#beginBackwardStep()}): the same weights, without a model-sized set of gradients in memory (the
     * recipe key {@code optimizer_in_backward}). Refused with gradient accumulation or several ranks, which need all
     * gradients together.
     */
    public Trainer<B> optimizerInBackward(boolean on) {
        this.optimizerInBackward = on;
        return this;
    }

    /**
     * Mixed precision (recipe key {@code precision: bf16}): each step's forward and backward run inside
     * {@link Bf16Linear#autocast()}, so the linear layers' products (forward and backward) run in bf16 while weights,
     * gradients, optimiser state and everything outside the linear layers stay float32.
     */
    public Trainer<B> bf16(boolean on) {
        this.bf16 = on;
        return this;
    }

    /** Where the progress line goes (standard error unless a test says otherwise). */
    void progressTo(PrintStream out) {
        this.progressOut = out;
    }

    /**
     * The number of steps the run will make in total: every epoch's batches, or {@code stopAfterSteps} when that comes
     * first. Progress counts to this, and the ETA is the time to reach it.
     */
    static long plannedSteps(long batchesPerEpoch, int epochs, long stopAfterSteps) {
        long all = batchesPerEpoch * epochs;
        return stopAfterSteps > 0 ? Math.min(stopAfterSteps, all) : all;
    }

    /**
     * Runs {@code v} every {@code every} optimiser steps (right after that step's checkpoint, if any) and at the end;
     * its values go into metrics.jsonl as a row of their own ({@code step} plus the validator's keys).
     */
    public Trainer<B> validateEvery(long every, Validator v) {
        if (every < 1) {
            throw new IllegalArgumentException("validation interval must be at least 1 step, got " + every);
        }
        this.validateEvery = every;
        this.validator = v;
        return this;
    }

    /**
     * Trains as one rank of a data-parallel job: gradients are averaged over the ranks in buckets of
     * {@code bucketBytes} (see the class comment). The model's own cross-rank operations (queue gathers) are set on
     * the model.
     */
    public Trainer<B> distributed(Distributed d, long bucketBytes) {
        this.dist = d;
        this.sync = new GradientSync(d, params.values(), bucketBytes);
        return this;
    }

    /** Runs (or resumes) training; returns the last checkpoint folder. */
    public Path fit() throws IOException {
        if (optimizerInBackward && (options.gradAccumulation() > 1 || dist.enabled())) {
            throw new IllegalArgumentException("optimizer_in_backward updates each parameter inside backward, so it "
                    + "cannot be combined with "
                    + (dist.enabled()
                            ? "several ranks (gradients are averaged over ranks first)"
                            : "grad_accumulation " + options.gradAccumulation() + " (gradients are summed "
                                    + "over batches first)")
                    + "; drop one of them");
        }
        long started = System.nanoTime();
        double commBefore = dist.commSeconds();
        Path last;
        try {
            last = train();
        } finally {
            optimizer.detachFromBackward();
        }
        if (dist.enabled()) {
            dist.verifyIdentical(model.namedTensors());
            double secs = (System.nanoTime() - started) / 1e9;
            double comm = dist.commSeconds() - commBefore;
            LOG.info(
                    "rank {}: {} s in collectives of {} s training ({} %), gradients in {} bucket(s)",
                    dist.rank(),
                    String.format("%.2f", comm),
                    String.format("%.2f", secs),
                    String.format("%.1f", 100 * comm / secs),
                    sync.buckets());
        }
        return last;
    }

    /**
     * Rank 0's starting point on every rank, as DDP's broadcast at construction: the weights, the optimizer's state
     * and step count, and the caller's position {@code counters}; returns rank 0's counters.
     */
    static long[] broadcastStart(Distributed dist, Block model, AdamW opt, long... counters) {
        long[] values = java.util.Arrays.copyOf(counters, counters.length + 1);
        values[counters.length] = opt.stepCount();
        long[] at = dist.broadcast(values, 0);
        dist.broadcast(model.namedTensors().values(), 0);
        dist.broadcast(opt.state().values(), 0);
        opt.load(opt.state(), at[counters.length]);
        return java.util.Arrays.copyOf(at, counters.length);
    }

    private Path train() throws IOException {
        Path out = options.outDir();
        boolean main = dist.isMain();
        if (main) {
            Files.createDirectories(out);
            cleanPartial(out);
        }
        long step = 0;
        int startEpoch = 0;
        long startBatch = 0;
        Path resumeFrom = options.resume() && main ? TrainCheckpoint.latest(out) : null;
        if (resumeFrom != null) {
            TrainCheckpoint.State s = TrainCheckpoint.load(resumeFrom, model, optimizer);
            int ranks = TrainCheckpoint.worldSize(resumeFrom);
            if (ranks != dist.worldSize()) {
                throw new IllegalArgumentException("checkpoint " + resumeFrom + " was written by a job of " + ranks
                        + " rank(s); resume it with " + ranks
                        + " (the data position and the global batch depend on it), not "
                        + dist.worldSize());
            }
            if (s.seed() != options.seed()) {
                throw new IllegalArgumentException("checkpoint " + resumeFrom + " was trained with seed " + s.seed()
                        + ", not " + options.seed() + "; resume with the same seed");
            }
            step = s.step();
            startEpoch = s.epoch();
            startBatch = s.batchInEpoch();
            LOG.info("resuming from {} at step {} (epoch {}, batch {})", resumeFrom, step, startEpoch, startBatch);
        }
        if (dist.enabled()) { // rank 0's start (initial weights, as DDP's broadcast, or its checkpoint) on every rank
            long[] at = broadcastStart(dist, model, optimizer, step, startEpoch, startBatch);
            step = at[0];
            startEpoch = (int) at[1];
            startBatch = at[2];
        }
        model.train(true); // dropout on, as model.train() in the reference loops
        long perEpoch = data.batchesPerEpoch();
        long total = plannedSteps(perEpoch, options.epochs(), options.stopAfterSteps());
        LOG.info(
                "{} steps planned: {} epochs x {} batches{}",
                total,
                options.epochs(),
                perEpoch,
                options.stopAfterSteps() > 0 ? ", max_steps " + options.stopAfterSteps() : "");
        Path metrics = out.resolve("metrics.jsonl");
        if (main) {
            truncateMetrics(metrics, step);
        }
        Path last = resumeFrom;
        long started = System.nanoTime();
        long startStep = step;
        try (Writer log = main
                ? Files.newBufferedWriter(
                        metrics, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)
                : Writer.nullWriter()) {
            for (int epoch = startEpoch; epoch < options.epochs(); epoch++) {
                Iterator<B> it = data.epoch(epoch, epoch == startEpoch ? startBatch : 0);
                for (long batch = epoch == startEpoch ? startBatch : 0;
                        batch < perEpoch && dist.allTrue(it.hasNext());
                        batch++) {
                    if (options.stopAfterSteps() > 0 && step >= options.stopAfterSteps()) {
                        return last; // resumed from a checkpoint at (or past) the step limit: nothing left to do
                    }
                    StepInfo info = new StepInfo(step, epoch, batch, perEpoch, options.seed(), dist.rank());
                    double lr = schedule.lr(epoch, batch, perEpoch);
                    optimizer.setLearningRate(lr);
                    torch.manual_seed(info.stepSeed());
                    Map<String, Double> values = new LinkedHashMap<>();
                    try (PointerScope scope = new PointerScope();
                            Bf16Linear.Autocast mixed = bf16 ? Bf16Linear.autocast() : null) {
                        Map<String, Tensor> losses = forward(scope, it.next(), info);
                        Tensor loss = losses.get("loss");
                        for (var e : losses.entrySet()) {
                            values.put(
                                    e.getKey(), (double) T.toFloats(e.getValue().detach())[0]);
                        }
                        meanOverRanks(values);
                        if (!Double.isFinite(values.get("loss"))) {
                            throw new NonFiniteException("non-finite loss " + values + " at step " + step + " (epoch "
                                    + epoch + ", batch " + batch + "); the last good checkpoint is " + last);
                        }
                        if (optimizerInBackward) {
                            optimizer.beginBackwardStep();
                        }
                        loss.div(T.s((double) options.gradAccumulation())).backward();
                        org.blip4j.nn.DeferredBackward.finishAll(model); // gradient-checkpointed ViT blocks
                        if (optimizerInBackward) {
                            String bad = optimizer.finishBackwardStep();
                            if (bad != null) {
                                throw new NonFiniteException("non-finite gradient in " + bad + " at step " + step
                                        + " (the update stopped there, inside backward); the last good checkpoint is "
                                        + last);
                            }
                        }
                    }
                    boolean update = (batch + 1) % options.gradAccumulation() == 0 || batch + 1 == perEpoch;
                    if (update && !optimizerInBackward) {
                        if (sync != null) {
                            sync.average();
                        }
                        checkGradients(step, last);
                        optimizer.step();
                        optimizer.zeroGrad();
                    }
                    step++;
                    writeMetrics(log, step, epoch, batch, lr, values);
                    if (options.progress() && main) {
                        progress(step, total, startStep, started, values.get("loss"), lr);
                    }
                    boolean epochEnd = batch + 1 == perEpoch;
                    boolean stop = options.stopAfterSteps() > 0 && step >= options.stopAfterSteps();
                    if (update
                            && (epochEnd
                                    || stop
                                    || (options.checkpointEvery() > 0
                                            && optimizer.stepCount() % options.checkpointEvery() == 0))) {
                        log.flush();
                        int nextEpoch = epochEnd ? epoch + 1 : epoch;
                        long nextBatch = epochEnd ? 0 : batch + 1;
                        if (main) {
                            last = TrainCheckpoint.save(
                                    out,
                                    model,
                                    optimizer,
                                    new TrainCheckpoint.State(step, nextEpoch, nextBatch, options.seed()),
                                    dist.enabled()
                                            ? Map.of("lr", lr, "world_size", dist.worldSize())
                                            : Map.of("lr", lr),
                                    options.keepCheckpoints());
                            plot(metrics, out.resolve("training.png"));
                        } else {
                            last = out.resolve("step-" + step); // rank 0's, for messages
                        }
                    }
                    if (validator != null
                            && update
                            && (stop
                                    || epochEnd && epoch + 1 == options.epochs()
                                    || optimizer.stepCount() % validateEvery == 0)) {
                        validate(log, step, metrics, out);
                    }
                    if (stop) {
                        if (options.progress() && main) {
                            progressOut.println();
                        }
                        return last;
                    }
                }
            }
        }
        if (options.progress() && main) {
            progressOut.println();
        }
        model.train(false);
        return last;
    }

    /** The ranks' mean of each logged value (the same keys in the same order on every rank). */
    private void meanOverRanks(Map<String, Double> values) {
        if (!dist.enabled()) {
            return;
        }
        double[] v = values.values().stream().mapToDouble(Double::doubleValue).toArray();
        double[] mean = dist.allReduceMean(v);
        int i = 0;
        for (var e : values.entrySet()) {
            e.setValue(mean[i++]);
        }
    }

    private void validate(Writer log, long step, Path metrics, Path out) throws IOException {
        model.train(false);
        long t0 = System.nanoTime();
        Map<String, Double> v;
        try (PointerScope scope = new PointerScope()) {
            v = validator.validate(step);
        } finally {
            model.train(true);
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("step", step);
        v.forEach((k, x) -> {
            if (Double.isFinite(x)) { // an undefined value (nothing to judge) is left out, JSON has no NaN
                row.put(k, x);
            }
        });
        log.write(JSON.writeValueAsString(row));
        log.write('\n');
        log.flush();
        LOG.info("validation at step {} ({} s): {}", step, Math.round((System.nanoTime() - t0) / 1e9), v);
        plot(metrics, out.resolve("training.png"));
    }

    /** The PNG plot is a convenience: a machine without fonts must not stop training. */
    private static void plot(Path metrics, Path png) {
        try {
            TrainingPlot.write(metrics, png);
        } catch (Exception | Error e) {
            LOG.warn("could not draw {}: {}", png, e.toString());
        }
    }

    /**
     * The objective's losses, computed in a PointerScope of their own that closes before backward: only the losses
     * move on to the step's {@code scope}, so the forward's intermediate tensors are held by autograd alone, which
     * frees each one as backward passes it (held by Java wrappers, all of them would live until the step ends).
     */
    private Map<String, Tensor> forward(PointerScope scope, B batch, StepInfo info) {
        try (PointerScope fwd = new PointerScope()) {
            Map<String, Tensor> losses = objective.losses(batch, info);
            java.util.Set<Tensor> kept = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            for (Tensor t : losses.values()) {
                if (kept.add(t)) {
                    scope.attach(t);
                    fwd.detach(t);
                }
            }
            return losses;
        }
    }

    private void checkGradients(long step, Path last) {
        try (PointerScope scope = new PointerScope()) {
            for (var e : params.entrySet()) {
                Tensor g = e.getValue().grad();
                if (g.defined() && !torch.isfinite(g).all().item_bool()) {
                    throw new NonFiniteException("non-finite gradient in " + e.getKey() + " at step " + step
                            + "; the last good checkpoint is " + last);
                }
            }
        }
    }

    private static void writeMetrics(Writer log, long step, int epoch, long batch, double lr, Map<String, Double> v)
            throws IOException {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("step", step);
        row.put("epoch", epoch);
        row.put("batch", batch);
        row.put("lr", lr);
        row.putAll(v);
        log.write(JSON.writeValueAsString(row));
        log.write('\n');
    }

    /** Drops metric lines past the resume point so the log never holds a step twice. */
    private static void truncateMetrics(Path metrics, long step) throws IOException {
        if (!Files.exists(metrics)) {
            return;
        }
        StringBuilder keep = new StringBuilder();
        for (String line : Files.readAllLines(metrics)) {
            if (line.isBlank()) {
                continue;
            }
            try {
                if (JSON.readTree(line).path("step").asLong() <= step) {
                    keep.append(line).append('\n');
                }
            } catch (IOException torn) {
                break; // a line cut by a crash: drop it and everything after
            }
        }
        Path tmp = metrics.resolveSibling(".metrics.tmp");
        Files.writeString(tmp, keep);
        Files.move(
                tmp,
                metrics,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static void cleanPartial(Path out) throws IOException {
        try (var s = Files.list(out)) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith(".step-"))
                    .toList()) {
                TrainCheckpoint.deleteTree(p);
            }
        }
    }

    private void progress(long step, long total, long startStep, long started, double loss, double lr) {
        progressOut.print("\r" + progressLine(step, total, startStep, (System.nanoTime() - started) / 1e9, loss, lr));
        progressOut.flush();
    }

    /**
     * The progress line after global step {@code step} of {@code total} planned; the rate counts only this run's
     * steps (a resumed run started at {@code startStep}), and the ETA is the time to the planned last step.
     */
    static String progressLine(long step, long total, long startStep, double seconds, double loss, double lr) {
        double rate = (step - startStep) / Math.max(seconds, 1e-9);
        long eta = Math.round(Math.max(0, total - step) / Math.max(rate, 1e-9));
        return String.format(
                java.util.Locale.ROOT,
                "step %d/%d  loss %.4f  lr %.2e  %.2f it/s  ETA %d:%02d:%02d   ",
                step,
                total,
                loss,
                lr,
                rate,
                eta / 3600,
                (eta / 60) % 60,
                eta % 60);
    }
}

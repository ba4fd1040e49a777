package org.blip4j.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.blip4j.Task;
import org.blip4j.dist.DistEnv;
import org.blip4j.dist.Distributed;
import org.blip4j.dist.Launcher;
import org.blip4j.engine.Engine;
import org.blip4j.train.Recipe;
import org.blip4j.train.TrainRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code blip4j train}: pre-train or fine-tune from a YAML recipe mirroring BLIP's configs. */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description = "Train with a recipe (YAML, keys as BLIP's configs/*.yaml). Checkpoints go to "
                + "<output_dir>/checkpoints (atomic; --resume continues exactly), the trained model to "
                + "<output_dir>/model.",
        footer = {
            "",
            "Examples:",
            "  blip4j train caption --config recipes/caption_coco.yaml",
            "  blip4j train retrieval --config recipes/retrieval_coco.yaml --set batch_size=8 --resume",
            "  blip4j train pretrain --config recipes/pretrain.yaml --set max_steps=100",
            "  blip4j train pretrain --config recipes/pretrain.yaml --nproc 2          (2 data-parallel ranks here)",
            "  blip4j train caption -c r.yaml --nproc 8 --nnodes 2 --node-rank 0 --master-addr node0 "
                    + "--master-port 29500",
            "",
            "Data-parallel training (see docs/training.md): --nproc N starts N worker processes on this machine, as",
            "torchrun does; a worker started by another launcher (torchrun, srun, Spark barrier mode) reads RANK,",
            "WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT from its environment. "
                    + "batch_size is per",
            "rank; only rank 0 writes checkpoints, metrics and the model."
        })
final class TrainCommand implements Callable<Integer> {
    @Parameters(
            index = "0",
            paramLabel = "TASK",
            description = "caption, pretrain, retrieval, vqa, nlvr, or vision (the ViT alone, supervised on the shapes "
                    + "world: BLIP's ImageNet stage).")
    String task;

    @Option(
            names = {"-c", "--config"},
            required = true,
            description = "The recipe (YAML).")
    Path config;

    @Option(names = "--resume", description = "Continue from the newest checkpoint in <output_dir>/checkpoints.")
    boolean resume;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a recipe value (repeatable).")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Option(
            names = {"-v", "--verbose"},
            description = "Print stack traces on errors.")
    boolean verbose;

    @Option(
            names = "--nproc",
            paramLabel = "N",
            description = "Data-parallel worker processes to start on this machine (torchrun's --nproc-per-node); each "
                    + "uses cores/N threads.")
    Integer nproc;

    @Option(
            names = "--nnodes",
            paramLabel = "M",
            defaultValue = "1",
            description =
                    "Machines in the job (each runs this command with its --node-rank; default: ${DEFAULT-VALUE}).")
    int nnodes;

    @Option(
            names = "--node-rank",
            paramLabel = "R",
            defaultValue = "0",
            description = "This machine's index, 0..M-1; machine 0 runs rank 0 (default: ${DEFAULT-VALUE}).")
    int nodeRank;

    @Option(
            names = "--master-addr",
            paramLabel = "HOST",
            defaultValue = "127.0.0.1",
            description = "Host of machine 0, which serves the rendezvous (default: ${DEFAULT-VALUE}).")
    String masterAddr;

    @Option(
            names = "--master-port",
            paramLabel = "PORT",
            description = "Rendezvous port (default: a free port on one machine, 29500 on several).")
    Integer masterPort;

    @Option(
            names = "--dist-timeout",
            paramLabel = "SEC",
            description = "How long a collective waits for the other ranks before the job stops (default: 600).")
    Double distTimeout;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        boolean vision = task.equalsIgnoreCase("vision"); // the ViT alone, supervised (BLIP's ImageNet stage)
        Task t = vision
                ? null
                : switch (task.toLowerCase(java.util.Locale.ROOT)) {
                    case "caption" -> Task.CAPTION;
                    case "pretrain" -> Task.PRETRAIN;
                    case "retrieval", "itm" -> Task.ITM;
                    case "vqa" -> Task.VQA;
                    case "nlvr" -> Task.NLVR;
                    default ->
                        throw new picocli.CommandLine.ParameterException(
                                spec.commandLine(),
                                "unknown task '" + task + "' (caption, pretrain, retrieval, vqa, nlvr, vision)");
                };
        Recipe recipe = Recipe.read(config, overrides); // a bad recipe fails here, before any worker starts
        DistEnv env = DistEnv.from(System.getenv());
        boolean worker = env != null && env.worldSize() > 1;
        int recipeRanks = recipe.integer("nproc", 1); // the ranks the recipe's per-rank batch_size is written for
        if (recipeRanks < 1) {
            throw new IllegalArgumentException(
                    recipe.file() + ": nproc must be at least 1 (ranks to start), got " + recipeRanks);
        }
        if (nproc == null && nnodes == 1 && !worker && recipeRanks > 1) {
            nproc = recipeRanks;
        }
        if (nproc != null || nnodes > 1) {
            return launch();
        }
        Distributed dist = Distributed.single();
        if (worker) { // a worker: of our launcher, torchrun, srun, a Spark barrier task
            if (distTimeout != null) {
                env = new DistEnv(
                        env.rank(),
                        env.worldSize(),
                        env.localRank(),
                        env.localWorldSize(),
                        env.masterAddr(),
                        env.masterPort(),
                        env.backend(),
                        Duration.ofMillis(Math.round(distTimeout * 1000)),
                        env.rendezvousTimeout());
            }
            String threads = System.getenv("BLIP4J_THREADS");
            Engine.setThreads(threads != null ? Integer.parseInt(threads.trim()) : env.threadsPerRank());
            dist = Distributed.init(env);
        }
        try {
            Path model = vision
                    ? org.blip4j.train.VisionPretraining.run(recipe, resume, true, dist)
                    : TrainRunner.run(t, recipe, resume, true, dist);
            if (dist.isMain()) {
                spec.commandLine().getOut().println("trained model: " + model);
            }
            return 0;
        } catch (Exception | Error e) {
            dist.abort(e); // the other ranks repeat this rank's error instead of only "rank r is gone"
            throw e;
        } finally {
            dist.close();
        }
    }

    /** The launcher: this machine's workers, each running this command without the launcher options. */
    private int launch() throws Exception {
        int port = masterPort != null ? masterPort : nnodes > 1 ? DistEnv.DEFAULT_PORT : 0;
        Launcher.Spec s;
        try {
            s = new Launcher.Spec(
                    nproc == null ? 1 : nproc, nnodes, nodeRank, masterAddr, port, Duration.ofSeconds(10));
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        List<String> args =
                workerArgs(spec.root().commandLine().getParseResult().originalArgs());
        PrintStream out =
                new PrintStream(new WriterOutputStream(spec.commandLine().getOut()), true, StandardCharsets.UTF_8);
        PrintStream err =
                new PrintStream(new WriterOutputStream(spec.commandLine().getErr()), true, StandardCharsets.UTF_8);
        Launcher.Result r = Launcher.run(s, Launcher.javaCommand(Main.class.getName(), args), out, err);
        out.flush();
        err.flush();
        if (r.exitCode() != 0) {
            spec.commandLine()
                    .getErr()
                    .println("blip4j: training failed: " + r.message() + " (its output above, prefixed [rank "
                            + r.failedRank() + "], says why)");
        }
        return r.exitCode();
    }

    /** The command line without the launcher's own options (their values too, in both "--opt v" and "--opt=v"). */
    static List<String> workerArgs(List<String> original) {
        Set<String> launcherOptions = Set.of("--nproc", "--nnodes", "--node-rank", "--master-addr", "--master-port");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < original.size(); i++) {
            String a = original.get(i);
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (launcherOptions.contains(name)) {
                if (!a.contains("=")) {
                    i++; // skip the value
                }
                continue;
            }
            out.add(a);
        }
        return out;
    }

    /** Bytes to a PrintWriter (the CLI's streams), so the launcher's forwarding lands where the CLI writes. */
    private static final class WriterOutputStream extends java.io.OutputStream {
        private final java.io.PrintWriter w;
        private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

        WriterOutputStream(java.io.PrintWriter w) {
            this.w = w;
        }

        @Override
        public synchronized void write(int b) {
            line.write(b);
            if (b == '\n' || b == '\r') {
                flush();
            }
        }

        @Override
        public synchronized void flush() {
            w.print(line.toString(StandardCharsets.UTF_8));
            w.flush();
            line.reset();
        }
    }
}

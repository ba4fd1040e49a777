package org.blip4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.blip4j.shapes.ShapesConfig;
import org.blip4j.shapes.ShapesGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code blip4j data shapes}: writes the synthetic shapes world (images and BLIP-format annotations) to a folder. */
@Command(
        name = "shapes",
        mixinStandardHelpOptions = true,
        description = {
            "Generate the shapes world: a synthetic image-text dataset whose truth is known, in BLIP's "
                    + "annotation formats (pre-training with human and noisy web captions, captioning, retrieval, VQA, NLVR2).",
            "The output is byte-for-byte the same for the same options, whatever --threads is. See docs/shapes.md."
        },
        footer = {
            "",
            "Examples:",
            "  blip4j data shapes --seed 1 --out data/shapes",
            "  blip4j data shapes --seed 1 --out data/shapes128 --size 128 --train 20000 --test 1000 --web 20000",
            "  blip4j data shapes --seed 2 --out data/shapes-plain --train 0 --val 0 --web 0 --max-objects 3 "
                    + "--backgrounds solid --no-antialias --jitter 0.12",
            "  blip4j data shapes --seed 7 --out /tmp/tiny --train 100 --val 20 --test 20 --web 100 --nlvr-train 50 "
                    + "--nlvr-test 20"
        })
final class ShapesCommand implements Callable<Integer> {
    @Option(names = "--seed", defaultValue = "0", description = "Master seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = {"-o", "--out"},
            required = true,
            paramLabel = "DIR",
            description = "Output folder.")
    Path out;

    @Option(names = "--size", defaultValue = "96", description = "Image side in pixels (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--train", defaultValue = "5000", description = "Training images (default: ${DEFAULT-VALUE}).")
    int train;

    @Option(names = "--val", defaultValue = "500", description = "Validation images (default: ${DEFAULT-VALUE}).")
    int val;

    @Option(names = "--test", defaultValue = "1000", description = "Test images (default: ${DEFAULT-VALUE}).")
    int test;

    @Option(names = "--web", defaultValue = "5000", description = "Noisy web images (default: ${DEFAULT-VALUE}).")
    int web;

    @Option(
            names = "--noise",
            defaultValue = "0.4",
            description = "Fraction of noisy web captions: mismatched, flipped or junk (default: ${DEFAULT-VALUE}).")
    double noise;

    @Option(
            names = "--captions",
            defaultValue = "5",
            description = "Captions per training image (default: ${DEFAULT-VALUE}).")
    int captions;

    @Option(
            names = "--questions",
            defaultValue = "3",
            description = "VQA questions per image (default: ${DEFAULT-VALUE}).")
    int questions;

    @Option(
            names = "--nlvr-train",
            defaultValue = "2000",
            description = "NLVR2-style training pairs (default: ${DEFAULT-VALUE}).")
    int nlvrTrain;

    @Option(
            names = "--nlvr-test",
            defaultValue = "500",
            description = "NLVR2-style test pairs (default: ${DEFAULT-VALUE}).")
    int nlvrTest;

    @Option(
            names = "--max-objects",
            defaultValue = "4",
            description = "Most objects per image, 1..9 (default: ${DEFAULT-VALUE}).")
    int maxObjects;

    @Option(names = "--no-antialias", description = "Draw objects without antialiasing (a robustness variant).")
    boolean noAntialias;

    @Option(
            names = "--jitter",
            defaultValue = "0.08",
            paramLabel = "F",
            description =
                    "How far an object's centre may "
                            + "move from its grid cell's centre, as a fraction of the side, 0..0.167 (default: ${DEFAULT-VALUE}).")
    double jitter;

    @Option(
            names = "--backgrounds",
            defaultValue = "all",
            paramLabel = "all|solid",
            description = "Backgrounds: all "
                    + "(solid, gradient, striped) or solid colours only (default: ${DEFAULT-VALUE}).")
    String backgrounds;

    @Option(
            names = "--threads",
            description = "Rendering threads (default: all processors); does not change the output.")
    Integer threads;

    @Option(names = "--force", description = "Replace the output of an earlier run in a non-empty folder.")
    boolean force;

    @ParentCommand
    DataCommand parent;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        var outW = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        ShapesConfig cfg;
        try {
            ShapesConfig.Backgrounds bg = switch (backgrounds.toLowerCase(java.util.Locale.ROOT)) {
                case "all" -> ShapesConfig.Backgrounds.ALL;
                case "solid" -> ShapesConfig.Backgrounds.SOLID;
                default ->
                    throw new IllegalArgumentException("--backgrounds must be all or solid, got '" + backgrounds + "'");
            };
            cfg = new ShapesConfig(
                    seed,
                    size,
                    train,
                    val,
                    test,
                    web,
                    noise,
                    captions,
                    questions,
                    nlvrTrain,
                    nlvrTest,
                    maxObjects,
                    0.2,
                    threads != null ? threads : Runtime.getRuntime().availableProcessors(),
                    !noAntialias,
                    jitter,
                    bg);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new ParameterException(spec.commandLine(), out + " exists and is not a folder");
        }
        if (Files.isDirectory(out) && !isEmpty(out)) {
            if (!force) {
                throw new ParameterException(
                        spec.commandLine(),
                        out + " is not empty; use --force to replace the files of "
                                + "an earlier run (others are kept)");
            }
            ShapesGenerator.clean(out);
        }
        int total = train + val + test + web;
        Progress progress = new Progress(err, total, parent.parent.progress);
        long start = System.nanoTime();
        ShapesGenerator.Summary s = ShapesGenerator.generate(cfg, out, (done, all) -> {
            synchronized (progress) {
                progress.step(true);
            }
        });
        double secs = (System.nanoTime() - start) / 1e9;
        outW.printf(
                "%s: %d images (%.0f images/s), %d training captions, %d web captions (%s), %d VQA questions, "
                        + "%d NLVR pairs in %.1f s%n",
                out,
                s.images(),
                s.images() / Math.max(secs, 1e-9),
                s.records().get("caption_train.json"),
                s.records().get("web.json"),
                s.webNoise(),
                s.records().get("vqa_train.json")
                        + s.records().get("vqa_val.json")
                        + s.records().get("vqa_test.json"),
                s.records().get("nlvr_train.json") + s.records().get("nlvr_test.json"),
                secs);
        return 0;
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }
}

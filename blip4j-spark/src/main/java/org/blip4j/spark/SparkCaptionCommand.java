package org.blip4j.spark;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code blip4j-spark caption}: a caption column for a table of images. */
@Command(
        name = "caption",
        mixinStandardHelpOptions = true,
        description = {
            "Caption every image of a table (beam 3, max 30, min 10 by default, as Blip.captions; --sample: "
                    + "nucleus sampling, row i seeded with itemSeed(seed, i)). Writes the table with two more columns: the caption "
                    + "and error (null, or why the image could not be read)."
        },
        footer = {
            "",
            "Examples:",
            "  blip4j-spark caption --model models/caption-coco --input photos.jsonl --out captions --format json",
            "  blip4j-spark caption --model models/caption-coco --input hdfs:///t/photos.parquet --image-column path \\",
            "      --images hdfs:///photos --out hdfs:///t/captions --sample --seed 7"
        })
final class SparkCaptionCommand implements Callable<Integer> {
    @Mixin
    SparkOptions spark;

    @Option(
            names = {"-m", "--model"},
            required = true,
            paramLabel = "MODEL",
            description = "Captioning model: a folder or weight file every executor can read, or a Hugging Face id.")
    String model;

    @Option(
            names = "--input",
            required = true,
            paramLabel = "TABLE",
            description = "Table of images: JSON, JSON Lines or Parquet file, or a folder of them; any Hadoop path.")
    String input;

    @Option(
            names = "--image-column",
            defaultValue = "image",
            description = "Column of image paths (default: ${DEFAULT-VALUE}).")
    String imageColumn;

    @Option(
            names = "--images",
            paramLabel = "DIR",
            description = "Folder relative image paths resolve against (default: the folder that holds the input).")
    String images;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "DIR",
            description = "Output table folder (replaced on rerun).")
    String out;

    @Option(
            names = "--column",
            defaultValue = "caption",
            description = "Name of the new column (default: ${DEFAULT-VALUE}).")
    String column;

    @Option(names = "--beams", defaultValue = "3", description = "Beam width; 1 = greedy (default: ${DEFAULT-VALUE}).")
    int beams;

    @Option(
            names = "--max-length",
            defaultValue = "30",
            description = "Max tokens incl. prompt (default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(
            names = "--min-length",
            defaultValue = "10",
            description = "Min tokens incl. prompt (default: ${DEFAULT-VALUE}).")
    int minLength;

    @Option(
            names = "--sample",
            description = "Nucleus sampling (top-p, repetition penalty 1.1, top-k 50) as BLIP's sample=True.")
    boolean sample;

    @Option(
            names = "--top-p",
            defaultValue = "0.9",
            description = "Nucleus mass when sampling (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(
            names = "--seed",
            defaultValue = "0",
            description = "Sampling seed; row i samples with itemSeed(seed, i) " + "(default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--repetition-penalty", description = "Repetition penalty (default: 1.0, or 1.1 when sampling).")
    Double repetitionPenalty;

    @Option(
            names = "--prefix",
            description = "Conditional captioning: start the caption with this text (kept in the output).")
    String prefix;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        CaptionJob.Settings s;
        try {
            spark.check();
            s = new CaptionJob.Settings(
                    model,
                    input,
                    images,
                    out,
                    spark.outputFormat(),
                    spark.inputFormat(),
                    imageColumn,
                    column,
                    beams,
                    sample,
                    topP,
                    seed,
                    maxLength,
                    minLength,
                    repetitionPenalty,
                    prefix,
                    spark.batchSize,
                    spark.partitionSize,
                    spark.threads);
            s.options();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        var session = Sessions.get(spark);
        long rows = CaptionJob.run(session, s);
        return Outputs.summary(
                session,
                out,
                spark.outputFormat(),
                rows,
                "captioned",
                spec.commandLine().getOut(),
                spec.commandLine().getErr());
    }
}

package org.blip4j.spark;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code blip4j-spark embed}: ITC embeddings of a table's images or texts, for a retrieval index. */
@Command(
        name = "embed",
        mixinStandardHelpOptions = true,
        description = {
            "Add the normalised ITC embedding (Blip.imageEmbeddings / textEmbeddings: the projected, L2-"
                    + "normalised [CLS] feature) of each row's image, or with --text-column of its text, as an array<float> column "
                    + "plus an error column. Written as Parquet by default."
        },
        footer = {
            "",
            "Examples:",
            "  blip4j-spark embed --model models/retrieval-coco --input photos.parquet --out photo-embeddings",
            "  blip4j-spark embed --model models/retrieval-coco --input queries.jsonl --text-column text --out q-emb"
        })
final class SparkEmbedCommand implements Callable<Integer> {
    @Mixin
    SparkOptions spark;

    @Option(
            names = {"-m", "--model"},
            required = true,
            paramLabel = "MODEL",
            description = "ITM/retrieval model: a folder or weight file every executor can read, or a Hugging Face id.")
    String model;

    @Option(
            names = "--input",
            required = true,
            paramLabel = "TABLE",
            description =
                    "Table of images or texts: JSON, JSON Lines or Parquet file, or a folder of them; any Hadoop path.")
    String input;

    @Option(
            names = "--image-column",
            defaultValue = "image",
            description = "Column of image paths (default: ${DEFAULT-VALUE}).")
    String imageColumn;

    @Option(names = "--text-column", description = "Embed the texts of this column instead of images.")
    String textColumn;

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
            defaultValue = "embedding",
            description = "Name of the new column (default: ${DEFAULT-VALUE}).")
    String column;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        EmbedJob.Settings s;
        try {
            spark.check();
            s = new EmbedJob.Settings(
                    model,
                    input,
                    images,
                    out,
                    spark.outputFormat(),
                    spark.inputFormat(),
                    imageColumn,
                    textColumn,
                    column,
                    spark.batchSize,
                    spark.partitionSize,
                    spark.threads);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        var session = Sessions.get(spark);
        long rows = EmbedJob.run(session, s);
        return Outputs.summary(
                session,
                out,
                spark.outputFormat(),
                rows,
                "embedded",
                spec.commandLine().getOut(),
                spec.commandLine().getErr());
    }
}

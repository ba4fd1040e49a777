package org.blip4j.spark;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.blip4j.Blip;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code blip4j-spark capfilt}: CapFilt over a cluster, with the single-machine pipeline's decisions. */
@Command(
        name = "capfilt",
        mixinStandardHelpOptions = true,
        description = {
            "CapFilt (BLIP paper 3.3) on Spark: caption each web image (nucleus sampling, top-p 0.9, item i "
                    + "seeded with itemSeed(seed, i) as in blip4j capfilt), score the web text(s) and the synthetic captions with "
                    + "the filter's ITM p(match), keep those above the threshold.",
            "Writes OUT/decisions (every score and decision), OUT/rejects (unreadable images), OUT/bootstrapped.jsonl (kept "
                    + "web texts, then kept synthetic captions, as {image, caption}) and OUT/report.json (last). A rerun replaces "
                    + "them; failed tasks are redone by Spark with the same rows."
        },
        footer = {
            "",
            "Examples:",
            "  blip4j-spark capfilt --captioner models/caption-coco --filter models/retrieval-coco \\",
            "      --web cc3m.jsonl --images /data/cc3m --out cc3m-capfilt",
            "  spark-submit --master yarn --conf spark.executor.memoryOverhead=2g --class org.blip4j.spark.SparkMain \\",
            "      blip4j-spark-shaded.jar capfilt --captioner /shared/cap --filter /shared/itm \\",
            "      --web hdfs:///web/cc3m.parquet --images hdfs:///web/images --out hdfs:///web/capfilt"
        })
final class SparkCapfiltCommand implements Callable<Integer> {
    @Mixin
    SparkOptions spark;

    @Option(
            names = "--captioner",
            required = true,
            paramLabel = "MODEL",
            description =
                    "Captioning model (BLIP_Decoder): a folder or weight file every executor can read, or a Hugging "
                            + "Face id.")
    String captioner;

    @Option(names = "--filter", required = true, paramLabel = "MODEL", description = "Filter: an ITM/retrieval model.")
    String filter;

    @Option(
            names = "--web",
            required = true,
            paramLabel = "TABLE",
            description =
                    "Web pairs {image, caption}: a JSON array, JSON Lines or Parquet file, or a folder of them (files "
                            + "in name order; item i = the i-th entry); any Hadoop file system path.")
    String web;

    @Option(
            names = "--images",
            required = true,
            paramLabel = "DIR",
            description =
                    "Image root the web entries' image paths are relative to (absolute paths and URIs as they are).")
    String images;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder (replaced on rerun).")
    String out;

    @Option(
            names = "--captions-per-image",
            defaultValue = "1",
            paramLabel = "N",
            description = "Synthetic captions per web image (default: ${DEFAULT-VALUE}).")
    int captionsPerImage;

    @Option(names = "--beam", description = "Beam search (3 beams, or N for N captions) instead of nucleus sampling.")
    boolean beam;

    @Option(
            names = "--top-p",
            defaultValue = "0.9",
            description = "Nucleus mass when sampling (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(
            names = "--max-length",
            defaultValue = "30",
            description = "Max caption tokens incl. prompt (default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(
            names = "--min-length",
            defaultValue = "10",
            description = "Min caption tokens incl. prompt (default: ${DEFAULT-VALUE}).")
    int minLength;

    @Option(
            names = "--threshold",
            defaultValue = "0.5",
            description = "Keep a text when its ITM p(match) > threshold (default: ${DEFAULT-VALUE}).")
    double threshold;

    @Option(
            names = "--match-token",
            defaultValue = "CLS",
            description = "First token of the ITM text: CLS or ENC " + "(default: ${DEFAULT-VALUE}).")
    Blip.MatchToken matchToken;

    @Option(
            names = "--seed",
            defaultValue = "0",
            description = "Seed of the per-item sampling seeds (default: ${DEFAULT-VALUE}).")
    long seed;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        CapFiltJob.Settings settings;
        try {
            spark.check();
            settings = new CapFiltJob.Settings(
                    captioner,
                    filter,
                    web,
                    images,
                    out,
                    spark.outputFormat(),
                    captionsPerImage,
                    beam,
                    topP,
                    maxLength,
                    minLength,
                    threshold,
                    matchToken,
                    spark.batchSize,
                    seed,
                    spark.partitionSize,
                    spark.threads,
                    spark.inputFormat());
            settings.options();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        CapFiltJob.Result r = CapFiltJob.run(Sessions.get(spark), settings);
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        stdout.printf(
                Locale.ROOT,
                "items %d: scored %d, rejected %d%s%n",
                r.items(),
                r.scored(),
                r.rejected(),
                r.rejected() > 0 ? " (see " + CapFiltJob.child(out, CapFiltJob.REJECTS) + ")" : "");
        stdout.printf(
                Locale.ROOT,
                "web texts kept %d of %d; synthetic captions kept %d of %d (threshold %s)%n",
                r.web().kept(),
                r.web().texts(),
                r.synthetic().kept(),
                r.synthetic().texts(),
                threshold);
        stdout.printf(
                Locale.ROOT,
                "%s: %d entries (web %d, synthetic %d)%n",
                CapFiltJob.child(out, CapFiltJob.BOOTSTRAPPED),
                r.bootstrapped(),
                r.web().kept(),
                r.synthetic().kept());
        err.printf(
                Locale.ROOT,
                "capfilt: %d pairs in %.1f s, %.2f pairs/s (%d partitions)%n",
                r.items(),
                r.seconds(),
                r.items() / Math.max(r.seconds(), 1e-9),
                r.partitions());
        stdout.flush();
        err.flush();
        return r.rejected() > 0 ? 1 : 0;
    }
}

package org.blip4j.spark;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/** The {@code blip4j-spark} command: CapFilt, captioning and ITC embedding of tables over a Spark cluster. */
@Command(
        name = "blip4j-spark",
        mixinStandardHelpOptions = true,
        version = "blip4j-spark 0.1.0",
        description = {
            "BLIP over Spark: runs embedded (--master local[*], the default) or on any cluster "
                    + "(spark-submit, or --master URL)."
        },
        subcommands = {
            SparkCapfiltCommand.class,
            SparkCaptionCommand.class,
            SparkEmbedCommand.class,
            CommandLine.HelpCommand.class
        },
        footer = {
            "",
            "Examples:",
            "  blip4j-spark capfilt --captioner cap/ --filter itm/ --web web.jsonl --images imgs --out boot",
            "  blip4j-spark caption --model cap/ --input images.parquet --out captions --format json",
            "  blip4j-spark embed --model itm/ --input images.jsonl --out embeddings",
            "  spark-submit --master yarn --class org.blip4j.spark.SparkMain blip4j-spark-shaded.jar capfilt ...",
            "",
            "Exit codes: 0 ok, 1 some items failed (see the output) or a run error, 2 usage error."
        })
public final class SparkMain implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    /** No subcommand given: a usage error. */
    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        err.println("blip4j-spark: missing command");
        spec.commandLine().usage(err);
        err.flush();
        return spec.exitCodeOnInvalidInput();
    }

    public static void main(String[] args) {
        int code = run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
        Sessions.stopOwned();
        System.exit(code);
    }

    /**
     * Runs a command with the given streams and returns its exit code (tests and embedding). A Spark session already
     * active in this JVM is used as it is and left running.
     */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new SparkMain());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            boolean verbose =
                    cmd.getParseResult() != null && cmd.getParseResult().hasMatchedOption("--verbose");
            err.println("blip4j-spark: " + Errors.describe(ex));
            if (verbose) {
                ex.printStackTrace(err);
            }
            err.flush();
            return 1;
        });
        int code = cli.execute(args);
        out.flush();
        err.flush();
        return code;
    }
}

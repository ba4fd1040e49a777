package org.blip4j.spark;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options every {@code blip4j-spark} command shares: where it runs, how it cuts the work, what it writes. */
final class SparkOptions {
    @Option(
            names = "--master",
            paramLabel = "URL",
            description =
                    "Spark master: local[N], local[*], spark://HOST:PORT, yarn, k8s://... (default: what spark-submit "
                            + "set, else local[*]).")
    String master;

    @Option(
            names = "--conf",
            paramLabel = "KEY=VALUE",
            description = "Spark setting (repeatable), e.g. " + "--conf spark.executor.memoryOverhead=2g.")
    Map<String, String> conf = new LinkedHashMap<>();

    @Option(
            names = "--app-name",
            defaultValue = "blip4j",
            description = "Spark application name (default: ${DEFAULT-VALUE}).")
    String appName;

    @Option(
            names = "--threads",
            paramLabel = "N",
            description = "Engine threads per task (default: max(1, cores / concurrent tasks) = spark.task.cpus).")
    Integer threads;

    @Option(
            names = "--batch-size",
            defaultValue = "8",
            paramLabel = "N",
            description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--partition-size",
            defaultValue = "1000",
            paramLabel = "N",
            description = "Most rows per partition, the unit a failed task redoes; at least as many partitions as the "
                    + "cluster's parallelism (default: ${DEFAULT-VALUE}).")
    int partitionSize;

    @Option(
            names = "--format",
            defaultValue = "parquet",
            paramLabel = "FMT",
            description = "Output format: parquet or json (JSON Lines) (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(
            names = "--input-format",
            paramLabel = "FMT",
            description =
                    "Input format: json (a JSON array or JSON Lines) or parquet (default: from the file names, else "
                            + "the content).")
    String inputFormat;

    @Option(
            names = {"-v", "--verbose"},
            description = "Print stack traces on errors.")
    boolean verbose;

    Table.Format outputFormat() {
        return Table.Format.parse(format);
    }

    Table.Format inputFormat() {
        return inputFormat == null ? null : Table.Format.parse(inputFormat);
    }

    void check() {
        if (threads != null && threads < 1) {
            throw new IllegalArgumentException("--threads must be at least 1");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be at least 1");
        }
        if (partitionSize < 1) {
            throw new IllegalArgumentException("--partition-size must be at least 1");
        }
        outputFormat();
        inputFormat();
    }
}

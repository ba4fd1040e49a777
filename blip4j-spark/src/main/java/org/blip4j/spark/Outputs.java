package org.blip4j.spark;

import static org.apache.spark.sql.functions.col;

import java.io.PrintWriter;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;

/** The summary a per-row command prints once its table is written, and its exit code. */
final class Outputs {
    private Outputs() {}

    /** Prints rows written and failed (read back from the output's error column); 1 when any row failed. */
    static int summary(
            SparkSession spark,
            String out,
            Table.Format format,
            long rows,
            String verb,
            PrintWriter stdout,
            PrintWriter err) {
        var written = spark.read().format(format.sparkName()).load(out);
        // JSON Lines leave null fields out: without any error the column is not there at all
        long failed = java.util.Arrays.asList(written.columns()).contains("error")
                ? written.filter(col("error").isNotNull()).count()
                : 0;
        stdout.printf(
                Locale.ROOT,
                "%s: %d rows, %d %s, %d failed%s%n",
                out,
                rows,
                rows - failed,
                verb,
                failed,
                failed > 0 ? " (see the error column)" : "");
        stdout.flush();
        err.flush();
        return failed > 0 ? 1 : 0;
    }
}

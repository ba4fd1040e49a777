package org.blip4j.spark;

import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * Gets the Spark session a command runs in: the one already active in this JVM, or a new one for {@code --master}
 * (what {@code spark-submit} set, else {@code local[*]}) with the engine's settings for executors.
 */
final class Sessions {
    private static SparkSession owned;

    private Sessions() {}

    static synchronized SparkSession get(SparkOptions o) {
        SparkSession active = SparkSession.getActiveSession().isDefined()
                ? SparkSession.getActiveSession().get()
                : SparkSession.getDefaultSession().isDefined()
                        ? SparkSession.getDefaultSession().get()
                        : null;
        if (active != null) {
            return active;
        }
        SparkConf submitted = new SparkConf(); // spark.* system properties, as spark-submit passes them
        SparkSession.Builder b = SparkSession.builder().appName(o.appName);
        if (o.master != null) {
            b.master(o.master);
        } else if (!submitted.contains("spark.master")) {
            b.master("local[*]");
        }
        boolean ompSet = submitted.contains("spark.executorEnv.OMP_WAIT_POLICY");
        for (Map.Entry<String, String> e : o.conf.entrySet()) {
            b.config(e.getKey(), e.getValue());
            ompSet |= e.getKey().equals("spark.executorEnv.OMP_WAIT_POLICY");
        }
        if (!ompSet) { // libgomp's spinning threads starve OpenBLAS (see README, engine notes)
            b.config("spark.executorEnv.OMP_WAIT_POLICY", "passive");
        }
        owned = b.getOrCreate();
        return owned;
    }

    /** Stops the session {@link #get} created, if any. */
    static synchronized void stopOwned() {
        if (owned != null) {
            owned.stop();
            owned = null;
        }
    }
}

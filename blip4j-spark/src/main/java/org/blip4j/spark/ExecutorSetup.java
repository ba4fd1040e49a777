package org.blip4j.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;

/** What a task does first on its executor: set the engine's threads once per JVM (see {@link Threads}). */
final class ExecutorSetup {
    private ExecutorSetup() {}

    /** Applies {@code threads}, or when null the count {@link Threads#perTask} derives from this executor's conf. */
    static int prepare(Integer threads) {
        int n = threads != null ? threads : fromConf();
        ModelCache.threads(n);
        return n;
    }

    private static int fromConf() {
        SparkEnv env = SparkEnv.get();
        int processors = Runtime.getRuntime().availableProcessors();
        if (env == null) {
            return processors;
        }
        SparkConf conf = env.conf();
        Integer executorCores = conf.contains("spark.executor.cores") ? conf.getInt("spark.executor.cores", 1) : null;
        return Threads.perTask(
                conf.get("spark.master", "local[*]"), executorCores, conf.getInt("spark.task.cpus", 1), processors);
    }
}

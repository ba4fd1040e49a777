package org.blip4j.spark;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Chooses the engine's intra-op threads per executor so that concurrent tasks do not oversubscribe its cores:
 * {@code max(1, cores / concurrentTasks)}, with {@code concurrentTasks = cores / spark.task.cpus} (docs/spark.md).
 */
final class Threads {
    private static final Pattern LOCAL = Pattern.compile("local\\[(\\*|\\d+)(?:,\\s*\\d+)?]");

    private Threads() {}

    /**
     * @param master the Spark master URL
     * @param executorCores {@code spark.executor.cores}, or null when not set
     * @param taskCpus {@code spark.task.cpus}
     * @param processors the cores this JVM sees
     */
    static int perTask(String master, Integer executorCores, int taskCpus, int processors) {
        int cores = executorCores != null ? executorCores : processors;
        if (master != null) {
            Matcher m = LOCAL.matcher(master.trim());
            if (master.trim().equals("local")) {
                cores = 1;
            } else if (m.matches()) {
                cores = m.group(1).equals("*") ? processors : Integer.parseInt(m.group(1));
            }
        }
        cores = Math.max(1, cores);
        int concurrent = Math.max(1, cores / Math.max(1, taskCpus));
        return Math.max(1, cores / concurrent);
    }
}

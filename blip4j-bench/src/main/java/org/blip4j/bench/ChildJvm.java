package org.blip4j.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a probe main class in a fresh JVM with this JVM's java binary and class path, and collects the
 * {@code key=value} lines it prints on standard output.
 */
final class ChildJvm {
    private ChildJvm() {}

    /** Prefix of the lines a probe prints for the parent. */
    static final String RESULT = "@bench ";

    /**
     * Starts {@code mainClass} with extra JVM options and arguments; the launch time (epoch ms, taken just before the
     * process is started) is passed as {@code -Dbench.launchMillis} so that the child can measure from there.
     */
    static Map<String, String> run(List<String> jvmOptions, String mainClass, String... args)
            throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        long launch = System.currentTimeMillis();
        cmd.add("-Dbench.launchMillis=" + launch);
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("OMP_WAIT_POLICY", "passive");
        Process p = pb.start();
        Map<String, String> out = new LinkedHashMap<>();
        StringBuilder log = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith(RESULT)) {
                    String kv = line.substring(RESULT.length());
                    int eq = kv.indexOf('=');
                    out.put(kv.substring(0, eq), kv.substring(eq + 1));
                } else {
                    log.append(line).append('\n');
                }
            }
        }
        int rc = p.waitFor();
        if (rc != 0) {
            throw new IOException(mainClass + " exited with " + rc + ":\n" + log);
        }
        return out;
    }

    /** Prints one result line for the parent (used by probes). */
    static void report(String key, Object value) {
        System.out.println(RESULT + key + "=" + value);
    }

    /** Milliseconds since the parent launched this JVM (or since JVM start when run by hand). */
    static double sinceLaunchMs() {
        String l = System.getProperty("bench.launchMillis");
        long start = l != null
                ? Long.parseLong(l)
                : java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
        return System.currentTimeMillis() - start;
    }

    /** A field of /proc/self/status in kB (VmHWM, VmRSS, ...), or -1 where unavailable. */
    static long procStatusKb(String field) {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(
                            line.substring(field.length() + 1).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}

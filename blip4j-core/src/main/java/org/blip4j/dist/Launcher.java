package org.blip4j.dist;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Starts the worker processes of one machine, as {@code torchrun --nproc-per-node N --nnodes M --node-rank R
 * --master-addr A --master-port P}: worker i gets {@code RANK = R·N + i}, {@code LOCAL_RANK = i},
 * {@code WORLD_SIZE = M·N}, {@code LOCAL_WORLD_SIZE = N}, {@code MASTER_ADDR}, {@code MASTER_PORT},
 * {@code OMP_NUM_THREADS = cores / N}, {@code OMP_WAIT_POLICY=passive}, {@code OPENBLAS_THREAD_TIMEOUT=4} and
 * {@code TORCH_CPP_LOG_LEVEL=FATAL} (each
 * unless set; c10d's own log lines repeat, with native stack traces, what blip4j's messages say). Their output
 * is forwarded line by line with a {@code [rank r]} prefix. When a worker fails (non-zero exit or a signal), the
 * others are stopped (SIGTERM, then SIGKILL after a grace period) and the launch fails with a message naming the
 * rank; workers also exit if the launcher itself dies ({@link #watchLauncher()}).
 */
public final class Launcher {
    /** Environment variable through which workers learn the launcher's pid (to exit when it dies). */
    public static final String LAUNCHER_PID = "BLIP4J_LAUNCHER_PID";

    /**
     * @param nproc workers on this machine
     * @param nnodes machines in the job
     * @param nodeRank this machine's index, 0..nnodes-1 (machine 0 runs rank 0, the master)
     * @param masterAddr rank 0's host
     * @param masterPort the rendezvous port (0: pick a free one; only for a one-machine job)
     * @param grace how long stopped workers get to exit before they are killed
     */
    public record Spec(int nproc, int nnodes, int nodeRank, String masterAddr, int masterPort, Duration grace) {
        public Spec {
            if (nproc < 1 || nnodes < 1 || nodeRank < 0 || nodeRank >= nnodes) {
                throw new IllegalArgumentException(
                        "need --nproc >= 1, --nnodes >= 1 and 0 <= --node-rank < --nnodes; got " + nproc + ", " + nnodes
                                + ", " + nodeRank);
            }
            if (masterPort < 0 || masterPort > 65535 || (masterPort == 0 && nnodes > 1)) {
                throw new IllegalArgumentException(
                        "--master-port must be a TCP port (1..65535) for a multi-machine job, got " + masterPort);
            }
        }
    }

    /** The outcome: 0 when every worker succeeded, else 1 and the first failed rank with what happened to it. */
    public record Result(int exitCode, int failedRank, String message) {}

    private Launcher() {}

    /** {@code java [this JVM's options] -cp [this classpath] mainClass args…}: a worker like this process. */
    public static List<String> javaCommand(String mainClass, List<String> args) {
        String java = ProcessHandle.current()
                .info()
                .command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib:") && !a.startsWith("-javaagent:") && !a.startsWith("-Xrunjdwp")) {
                cmd.add(a); // heap size, -D properties; not debuggers or agents, which would clash between workers
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }

    /** A TCP port nothing listens on right now. */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free TCP port for the rendezvous: " + e.getMessage(), e);
        }
    }

    /**
     * Runs {@code command} as this machine's workers and waits for all of them; stops the others as soon as one
     * fails. Output goes to {@code out} / {@code err} with a {@code [rank r]} prefix; the launcher's own messages go to
     * {@code err} with a {@code [launcher]} prefix.
     */
    public static Result run(Spec spec, List<String> command, PrintStream out, PrintStream err)
            throws IOException, InterruptedException {
        int port = spec.masterPort() == 0 ? freePort() : spec.masterPort();
        int world = spec.nproc() * spec.nnodes();
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / spec.nproc());
        List<Process> procs = new ArrayList<>();
        List<Thread> pumps = new ArrayList<>();
        Thread stopper = new Thread(() -> procs.forEach(Process::destroy), "blip4j-launcher-stop");
        Runtime.getRuntime().addShutdownHook(stopper); // a launcher stopped with Ctrl-C / SIGTERM stops its workers
        try {
            for (int i = 0; i < spec.nproc(); i++) {
                int rank = spec.nodeRank() * spec.nproc() + i;
                ProcessBuilder pb = new ProcessBuilder(command);
                Map<String, String> env = pb.environment();
                env.putAll(workerEnv(spec, port, i));
                env.put(LAUNCHER_PID, Long.toString(ProcessHandle.current().pid()));
                applyDefaults(env, threads);
                Process p = pb.start();
                procs.add(p);
                pumps.add(pump(p.getInputStream(), out, "[rank " + rank + "] ", "rank" + rank + "-out"));
                pumps.add(pump(p.getErrorStream(), err, "[rank " + rank + "] ", "rank" + rank + "-err"));
                say(err, "[launcher] rank " + rank + " of " + world + ": pid " + p.pid());
            }
            Result result = watch(spec, procs, err);
            for (Thread t : pumps) {
                t.join(2000);
            }
            return result;
        } finally {
            procs.forEach(Process::destroyForcibly); // nothing survives the launcher
            try {
                Runtime.getRuntime().removeShutdownHook(stopper);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running already
            }
        }
    }

    private static Result watch(Spec spec, List<Process> procs, PrintStream err) throws InterruptedException {
        while (true) {
            boolean running = false;
            for (int i = 0; i < procs.size(); i++) {
                Process p = procs.get(i);
                if (p.isAlive()) {
                    running = true;
                    continue;
                }
                int code = p.exitValue();
                if (code != 0) {
                    int rank = spec.nodeRank() * spec.nproc() + i;
                    String what = "rank " + rank + " (pid " + p.pid() + ") " + describe(code);
                    say(err, "[launcher] " + what + "; stopping the other ranks");
                    stopAll(procs, spec.grace());
                    return new Result(1, rank, what);
                }
            }
            if (!running) {
                return new Result(0, -1, "all ranks finished");
            }
            Thread.sleep(100);
        }
    }

    /** "exited with code 1" or "was killed by signal 9 (SIGKILL)" (the JVM reports a signal as 128 + its number). */
    static String describe(int code) {
        if (code > 128 && code < 160) {
            int sig = code - 128;
            String name = switch (sig) {
                case 1 -> " (SIGHUP)";
                case 2 -> " (SIGINT)";
                case 6 -> " (SIGABRT)";
                case 9 -> " (SIGKILL)";
                case 11 -> " (SIGSEGV)";
                case 15 -> " (SIGTERM)";
                default -> "";
            };
            return "was killed by signal " + sig + name;
        }
        return "exited with code " + code;
    }

    private static void stopAll(List<Process> procs, Duration grace) throws InterruptedException {
        procs.stream().filter(Process::isAlive).forEach(Process::destroy);
        long end = System.nanoTime() + grace.toNanos();
        for (Process p : procs) {
            long left = end - System.nanoTime();
            if (left > 0) {
                p.waitFor(left, java.util.concurrent.TimeUnit.NANOSECONDS);
            }
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }

    /** Copies a worker's stream to {@code to} line by line with a prefix; a carriage return (progress bar) too. */
    private static Thread pump(InputStream in, PrintStream to, String prefix, String name) {
        Thread t = new Thread(
                () -> {
                    byte[] buf = new byte[8192];
                    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
                    try (in) {
                        int n;
                        while ((n = in.read(buf)) > 0) {
                            for (int k = 0; k < n; k++) {
                                byte c = buf[k];
                                if (c == '\n' || c == '\r') {
                                    emit(to, prefix, bytes, (char) c);
                                } else {
                                    bytes.write(c);
                                }
                            }
                        }
                    } catch (IOException closed) {
                        // the worker is gone
                    }
                    if (bytes.size() > 0) {
                        emit(to, prefix, bytes, '\n');
                    }
                },
                "blip4j-launcher-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void emit(PrintStream to, String prefix, java.io.ByteArrayOutputStream bytes, char end) {
        if (bytes.size() == 0 && end == '\r') {
            return;
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        bytes.reset();
        synchronized (to) {
            boolean afterProgress = OPEN_PROGRESS_LINE.containsKey(to);
            if (afterProgress && end == '\n') {
                to.print('\n'); // end a progress bar's line before a log line
            }
            to.print(prefix + text + end);
            to.flush();
            if (end == '\r') {
                OPEN_PROGRESS_LINE.put(to, Boolean.TRUE);
            } else {
                OPEN_PROGRESS_LINE.remove(to);
            }
        }
    }

    /** Prints a launcher message on its own line. */
    private static void say(PrintStream err, String message) {
        synchronized (err) {
            if (OPEN_PROGRESS_LINE.remove(err) != null) {
                err.print('\n');
            }
            err.println(message);
            err.flush();
        }
    }

    /** Streams whose last forwarded segment ended with a carriage return (a progress bar); guarded by the stream. */
    private static final Map<PrintStream, Boolean> OPEN_PROGRESS_LINE =
            java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());

    /**
     * In a worker started by {@link #run}: exits this process when the launcher is gone (killed without a chance to
     * stop its workers), so no orphan keeps training. A no-op in processes the launcher did not start.
     */
    public static void watchLauncher() {
        String pid = System.getenv(LAUNCHER_PID);
        if (pid == null) {
            return;
        }
        Optional<ProcessHandle> launcher;
        try {
            launcher = ProcessHandle.of(Long.parseLong(pid.trim()));
        } catch (NumberFormatException e) {
            return;
        }
        if (launcher.isEmpty()) {
            Runtime.getRuntime().halt(1);
        }
        launcher.get().onExit().thenRun(() -> {
            System.err.println("the launcher (pid " + pid + ") is gone; this rank stops");
            Runtime.getRuntime().halt(1);
        });
    }

    /** The torchrun variables the worker of {@code spec} with local index {@code i} gets. */
    static Map<String, String> workerEnv(Spec spec, int port, int i) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("RANK", Integer.toString(spec.nodeRank() * spec.nproc() + i));
        env.put("LOCAL_RANK", Integer.toString(i));
        env.put("GROUP_RANK", Integer.toString(spec.nodeRank()));
        env.put("WORLD_SIZE", Integer.toString(spec.nproc() * spec.nnodes()));
        env.put("LOCAL_WORLD_SIZE", Integer.toString(spec.nproc()));
        env.put("MASTER_ADDR", spec.masterAddr());
        env.put("MASTER_PORT", Integer.toString(port));
        return env;
    }

    /**
     * Adds what every worker gets unless its environment already says otherwise: its share of the cores as OpenMP
     * threads, libgomp's threads sleeping instead of spinning, OpenBLAS's workers sleeping right after a product (both
     * spin long enough by default to starve the next op on a small machine; docs/performance.md), and c10d's own log
     * lines off (its retries and native stack traces repeat what blip4j's errors say).
     */
    static void applyDefaults(Map<String, String> env, int threads) {
        defaultEnv(threads).forEach(env::putIfAbsent);
    }

    /** The values {@link #applyDefaults} sets where the environment has none. */
    static Map<String, String> defaultEnv(int threads) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("OMP_NUM_THREADS", Integer.toString(threads));
        env.put("OMP_WAIT_POLICY", "passive");
        env.put("OPENBLAS_THREAD_TIMEOUT", "4");
        env.put("TORCH_CPP_LOG_LEVEL", "FATAL");
        return env;
    }
}

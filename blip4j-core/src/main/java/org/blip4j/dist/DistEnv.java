package org.blip4j.dist;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * Where this process stands in a data-parallel job, read from the environment variables torchrun (and Slurm/MPI
 * wrappers that emulate it) set: {@code RANK}, {@code WORLD_SIZE}, {@code LOCAL_RANK}, {@code LOCAL_WORLD_SIZE},
 * {@code MASTER_ADDR}, {@code MASTER_PORT}; plus blip4j's {@code BLIP4J_DIST_BACKEND} (gloo, nccl or auto),
 * {@code BLIP4J_DIST_TIMEOUT} (collective timeout, seconds) and {@code BLIP4J_RDZV_TIMEOUT} (how long to wait for
 * the master, seconds).
 *
 * @param rank this process's global rank, 0..worldSize-1
 * @param worldSize number of processes in the job
 * @param localRank rank among the processes of this machine
 * @param localWorldSize processes on this machine
 * @param masterAddr host of rank 0, which serves the rendezvous store
 * @param masterPort the store's TCP port
 * @param backend "gloo", "nccl" or "auto" (NCCL when the CUDA build of libtorch sees a GPU, else Gloo)
 * @param timeout how long a collective may wait for the other ranks before it fails
 * @param rendezvousTimeout how long to wait for the master's store and for the other ranks to join
 */
public record DistEnv(
        int rank,
        int worldSize,
        int localRank,
        int localWorldSize,
        String masterAddr,
        int masterPort,
        String backend,
        Duration timeout,
        Duration rendezvousTimeout) {
    /** torchrun's default master port. */
    public static final int DEFAULT_PORT = 29500;
    /** Default collective timeout (torch's default for Gloo is 30 min; a dead machine is noticed sooner with less). */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);
    /** Default wait for the master and the other ranks at start-up. */
    public static final Duration DEFAULT_RENDEZVOUS = Duration.ofMinutes(5);

    public DistEnv {
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException(
                    "RANK must be in 0.." + (worldSize - 1) + " for WORLD_SIZE " + worldSize + ", got " + rank);
        }
        if (localWorldSize < 1 || localRank < 0 || localRank >= localWorldSize) {
            throw new IllegalArgumentException("LOCAL_RANK must be in 0.." + (localWorldSize - 1)
                    + " for LOCAL_WORLD_SIZE " + localWorldSize + ", got " + localRank);
        }
        if (masterPort < 1 || masterPort > 65535) {
            throw new IllegalArgumentException("MASTER_PORT must be a TCP port (1..65535), got " + masterPort);
        }
        backend = backend.toLowerCase(Locale.ROOT);
        if (!backend.equals("gloo") && !backend.equals("nccl") && !backend.equals("auto")) {
            throw new IllegalArgumentException("BLIP4J_DIST_BACKEND must be gloo, nccl or auto, got " + backend);
        }
    }

    /**
     * The job described by {@code env}, or null when {@code WORLD_SIZE} is not set (a plain single-process run).
     * Missing {@code LOCAL_RANK} / {@code LOCAL_WORLD_SIZE} default to the global values (one machine); a missing
     * {@code MASTER_ADDR} is 127.0.0.1 and a missing {@code MASTER_PORT} 29500, as torch's env:// rendezvous.
     *
     * @throws IllegalArgumentException naming the variable when a value is malformed or {@code RANK} is missing
     */
    public static DistEnv from(Map<String, String> env) {
        String world = env.get("WORLD_SIZE");
        if (world == null || world.isBlank()) {
            return null;
        }
        int w = integer(env, "WORLD_SIZE", -1);
        if (!env.containsKey("RANK")) {
            throw new IllegalArgumentException(
                    "WORLD_SIZE is set (" + w + ") but RANK is not: set both, as torchrun does");
        }
        int rank = integer(env, "RANK", -1);
        int localWorld = integer(env, "LOCAL_WORLD_SIZE", env.containsKey("LOCAL_RANK") ? -1 : w);
        int localRank = integer(env, "LOCAL_RANK", rank);
        if (localWorld < 0) { // LOCAL_RANK without LOCAL_WORLD_SIZE (older launchers): assume one machine's worth
            localWorld =
                    Math.max(localRank + 1, Math.min(w, Runtime.getRuntime().availableProcessors()));
        }
        return new DistEnv(
                rank,
                w,
                localRank,
                localWorld,
                env.getOrDefault("MASTER_ADDR", "127.0.0.1"),
                integer(env, "MASTER_PORT", DEFAULT_PORT),
                env.getOrDefault("BLIP4J_DIST_BACKEND", "auto"),
                seconds(env, "BLIP4J_DIST_TIMEOUT", DEFAULT_TIMEOUT),
                seconds(env, "BLIP4J_RDZV_TIMEOUT", DEFAULT_RENDEZVOUS));
    }

    /** The intra-op threads this rank should use: the machine's cores shared among its local ranks (at least 1). */
    public int threadsPerRank() {
        return Math.max(1, Runtime.getRuntime().availableProcessors() / localWorldSize);
    }

    private static int integer(Map<String, String> env, String name, int dflt) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, got '" + v + "'");
        }
    }

    private static Duration seconds(Map<String, String> env, String name, Duration dflt) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            double s = Double.parseDouble(v.trim());
            if (!(s > 0)) {
                throw new NumberFormatException();
            }
            return Duration.ofMillis(Math.round(s * 1000));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a positive number of seconds, got '" + v + "'");
        }
    }
}

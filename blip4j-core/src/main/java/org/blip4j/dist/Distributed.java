package org.blip4j.dist;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.blip4j.engine.Engine;
import org.blip4j.engine.T;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.AllreduceOptions;
import org.bytedeco.pytorch.Backend;
import org.bytedeco.pytorch.BroadcastOptions;
import org.bytedeco.pytorch.ByteVector;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.GlooDeviceVector;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.ReduceOp;
import org.bytedeco.pytorch.StringVector;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.TensorTensorHook;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.Work;
import org.bytedeco.pytorch.global.torch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data-parallel context of one process: its rank in the job and PyTorch's own c10d collectives (a
 * {@code TCPStore} on rank 0 for rendezvous, {@code ProcessGroupGloo} — or {@code ProcessGroupNCCL} with the CUDA
 * build — for the collectives), as {@code torch.distributed.init_process_group("gloo", "env://")} sets them up.
 * {@link #single()} is the one-process context whose collectives are identities, so training code calls the same
 * methods either way.
 *
 * <p>Failures: a collective that fails (a peer's connection closed, or nothing arrived within the timeout) becomes a
 * {@link DistributedException} that names the ranks that did not answer: every surviving rank writes a key into
 * the store and looks, for a few seconds, for the others' keys; ranks without one are gone or hung. A rank that
 * fails with its own error posts it ({@link #abort(Throwable)}) so the others can repeat it.
 */
public final class Distributed implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Distributed.class);
    private static final String DOWN = "blip4j/down/";
    private static final String ERROR = "blip4j/error/";
    /** How long survivors look for each other's keys after a failed collective. */
    private static final Duration GRACE = Duration.ofSeconds(3);

    private static final Distributed SINGLE = new Distributed();

    private final int rank;
    private final int worldSize;
    private final int localRank;
    private final int localWorldSize;
    private final TCPStore store;
    private final Backend group;
    private final String backendName;
    private final Device device; // where collectives run: CPU (Gloo) or cuda:LOCAL_RANK (NCCL)
    private final Duration timeout;
    private final GatherGradHook gatherGradHook;
    private long commNanos;
    private long lastAwaitEnd;
    private long collectives;
    private DistributedException failed;

    private Distributed() {
        this.rank = 0;
        this.worldSize = 1;
        this.localRank = 0;
        this.localWorldSize = 1;
        this.store = null;
        this.group = null;
        this.backendName = "none";
        this.device = null;
        this.timeout = Duration.ZERO;
        this.gatherGradHook = null;
    }

    private Distributed(DistEnv env, TCPStore store, Backend group, String backendName, Device device) {
        this.rank = env.rank();
        this.worldSize = env.worldSize();
        this.localRank = env.localRank();
        this.localWorldSize = env.localWorldSize();
        this.store = store;
        this.group = group;
        this.backendName = backendName;
        this.device = device;
        this.timeout = env.timeout();
        this.gatherGradHook = new GatherGradHook();
        this.gatherGradHook.retainReference(); // one callback for the process: JavaCPP has few callback slots
    }

    /** The single-process context: rank 0 of 1, every collective an identity. */
    public static Distributed single() {
        return SINGLE;
    }

    /** Joins the job the environment describes ({@link DistEnv#from}), or {@link #single()} when there is none. */
    public static Distributed fromEnvironment() {
        DistEnv env = DistEnv.from(System.getenv());
        return env == null || env.worldSize() == 1 ? single() : init(env);
    }

    /**
     * Rendezvous with the other ranks: rank 0 serves the store on {@code MASTER_PORT}, the others connect to it
     * (retrying until the rendezvous timeout), then the process group connects every pair of ranks.
     *
     * @throws DistributedException with a message naming the master's address when it cannot be reached
     */
    public static Distributed init(DistEnv env) {
        Engine.load();
        torch.initLogging(); // honours TORCH_CPP_LOG_LEVEL (the launcher sets FATAL: c10d's errors become ours)
        Launcher.watchLauncher();
        String where = env.masterAddr() + ":" + env.masterPort();
        TCPStore store;
        try {
            TCPStoreOptions o = new TCPStoreOptions();
            o.port((short) env.masterPort())
                    .isServer(env.rank() == 0)
                    .waitWorkers(false)
                    .timeout(new Milliseconds(env.rendezvousTimeout().toMillis()));
            o.retainReference();
            store = new TCPStore(env.masterAddr(), o);
            store.retainReference();
        } catch (RuntimeException e) {
            String msg = env.rank() == 0
                    ? "rank 0 could not serve the rendezvous store on " + where
                            + " (MASTER_ADDR / MASTER_PORT; is the port " + "already in use?): " + firstLine(e)
                    : "rank " + env.rank() + " could not reach the master (rank 0) at " + where + " within "
                            + env.rendezvousTimeout().toSeconds()
                            + " s (MASTER_ADDR / MASTER_PORT; is rank 0 running, and is the"
                            + " port open from this machine?): " + firstLine(e);
            throw new DistributedException(msg, env.rank() == 0 ? List.of() : List.of(0), e);
        }
        boolean nccl = switch (env.backend()) {
            case "nccl" -> true;
            case "gloo" -> false;
            default -> torch.cuda_is_available();
        };
        try {
            Backend group;
            Device device;
            if (nccl) {
                group = Nccl.create(store, env);
                device = new Device("cuda:" + env.localRank());
            } else {
                ProcessGroupGloo.Options opts = ProcessGroupGloo.Options.create(
                        new Milliseconds(env.rendezvousTimeout().toMillis()));
                opts.devices(new GlooDeviceVector(glooDevice(env.masterAddr())));
                group = new ProcessGroupGloo(store, env.rank(), env.worldSize(), opts);
                device = null;
            }
            group.retainReference();
            group.setTimeout(new Milliseconds(env.timeout().toMillis()));
            if (device != null) {
                device.retainReference();
            }
            Distributed d = new Distributed(env, store, group, nccl ? "nccl" : "gloo", device);
            LOG.info(
                    "rank {} of {} (local {} of {}) joined via {} with {}",
                    env.rank(),
                    env.worldSize(),
                    env.localRank(),
                    env.localWorldSize(),
                    where,
                    d.backendName);
            return d;
        } catch (RuntimeException e) {
            throw new DistributedException(
                    "rank " + env.rank() + " could not connect to the other " + (env.worldSize() - 1)
                            + " rank(s) of the job within "
                            + env.rendezvousTimeout().toSeconds() + " s (started all " + env.worldSize()
                            + "?): " + firstLine(e),
                    List.of(),
                    e);
        }
    }

    /** The Gloo transport device: the interface GLOO_SOCKET_IFNAME names, loopback for a local job, else the host's. */
    private static org.bytedeco.pytorch.gloo.Device glooDevice(String masterAddr) {
        String ifname = System.getenv("GLOO_SOCKET_IFNAME");
        if (ifname != null && !ifname.isBlank()) {
            return ProcessGroupGloo.createDeviceForInterface(ifname.split(",")[0].trim());
        }
        if (masterAddr.startsWith("127.") || masterAddr.equals("localhost") || masterAddr.equals("::1")) {
            return ProcessGroupGloo.createDeviceForHostname("127.0.0.1");
        }
        return ProcessGroupGloo.createDefaultDevice();
    }

    public int rank() {
        return rank;
    }

    public int worldSize() {
        return worldSize;
    }

    public int localRank() {
        return localRank;
    }

    public int localWorldSize() {
        return localWorldSize;
    }

    /** Whether this is rank 0, the one that writes checkpoints, metrics and plots. */
    public boolean isMain() {
        return rank == 0;
    }

    /** Whether there is more than one rank (collectives do something). */
    public boolean enabled() {
        return worldSize > 1;
    }

    /** "gloo", "nccl", or "none" for {@link #single()}. */
    public String backend() {
        return backendName;
    }

    /** Seconds spent waiting in collectives so far (the communication share of training). */
    public double commSeconds() {
        return commNanos / 1e9;
    }

    /** Collectives run so far. */
    public long collectives() {
        return collectives;
    }

    /** Sums {@code t} over all ranks, in place. */
    public void allReduceSum(Tensor t) {
        if (enabled()) {
            await(start(t, ReduceOp.RedOpType.SUM), "all-reduce");
        }
    }

    /** Starts an in-place sum over all ranks of a contiguous tensor; finish it with {@link #await}. */
    Pending start(Tensor t, ReduceOp.RedOpType op) {
        Tensor onDevice = toDevice(t);
        AllreduceOptions o = new AllreduceOptions();
        o.reduceOp(new ReduceOp(op));
        long started = System.nanoTime();
        try {
            return new Pending(t, onDevice, group.allreduce(new TensorVector(onDevice), o), started);
        } catch (RuntimeException e) {
            throw failure("all-reduce", e);
        }
    }

    /** A collective in flight: its result goes back into {@code target} when it was staged on another device. */
    record Pending(Tensor target, Tensor staged, Work work, long started) {}

    void await(Pending p, String what) {
        try {
            p.work()._wait();
            if (p.staged() != p.target()) {
                p.target().copy_(p.staged());
            }
        } catch (RuntimeException e) {
            throw failure(what, e);
        } finally {
            long now = System.nanoTime(); // several may be in flight: count the wall time they cover once
            commNanos += now - Math.max(p.started(), lastAwaitEnd);
            lastAwaitEnd = now;
            collectives++;
        }
    }

    /** The mean over all ranks of a few numbers (losses for the log); a NaN anywhere makes the mean NaN everywhere. */
    public double[] allReduceMean(double[] values) {
        if (!enabled()) {
            return values.clone();
        }
        try (PointerScope s = new PointerScope()) {
            Tensor t = torch.empty(
                    new long[] {values.length},
                    T.options(torch.ScalarType.Double),
                    new org.bytedeco.pytorch.MemoryFormatOptional());
            T.memory(t).asDoubleBuffer().put(values);
            allReduceSum(t);
            double[] out = new double[values.length];
            T.memory(t).asDoubleBuffer().get(out);
            for (int i = 0; i < out.length; i++) {
                out[i] /= worldSize;
            }
            return out;
        }
    }

    /** Whether {@code value} is true on every rank. */
    public boolean allTrue(boolean value) {
        return allReduceLong(value ? 1 : 0, ReduceOp.RedOpType.MIN) == 1;
    }

    /** The maximum of {@code value} over all ranks. */
    public long allMax(long value) {
        return allReduceLong(value, ReduceOp.RedOpType.MAX);
    }

    private long allReduceLong(long value, ReduceOp.RedOpType op) {
        if (!enabled()) {
            return value;
        }
        try (PointerScope s = new PointerScope()) {
            Tensor t = T.longs(new long[] {value}, 1);
            await(start(t, op), "all-reduce");
            return T.toLongs(t)[0];
        }
    }

    /**
     * BLIP's {@code concat_all_gather}: every rank's {@code local} (same shape on all ranks) stacked along dim 0 in
     * rank order, (W·B, ...); no gradient flows through it.
     */
    public Tensor allGather(Tensor local) {
        if (!enabled()) {
            return local;
        }
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor src = toDevice(local.detach().contiguous());
            long[] shape = T.shape(local);
            shape[0] *= worldSize;
            Tensor out = torch.empty(shape, src.options(), new org.bytedeco.pytorch.MemoryFormatOptional());
            long started = System.nanoTime();
            try {
                Work w = group._allgather_base(out, src);
                await(new Pending(out, out, w, started), "all-gather");
            } catch (DistributedException e) {
                throw e;
            } catch (RuntimeException e) {
                throw failure("all-gather", e);
            }
            return device == null ? out : out.to(local.device(), local.scalar_type());
        }
    }

    /**
     * BLIP's {@code all_gather_with_grad}: the gathered (W·B, ...) tensor, whose backward sums the gradient over all
     * ranks and hands this rank its own slice, so each rank's embeddings receive the gradient of every rank's loss.
     * The presets cannot define an autograd Function in Java, so the same backward is a tensor hook: this rank's live
     * {@code local} is spliced into the gathered copies (so autograd routes the slice back to it), and a hook on the
     * result all-reduces the incoming gradient before {@code cat}'s backward takes the slice.
     */
    public Tensor allGatherWithGrad(Tensor local) {
        if (!enabled()) {
            return local;
        }
        Tensor all = allGather(local); // (W·B, ...), no grad
        long b = local.size(0);
        List<Tensor> parts = new ArrayList<>();
        if (rank > 0) {
            parts.add(all.narrow(0, 0, rank * b));
        }
        parts.add(local);
        if (rank < worldSize - 1) {
            parts.add(all.narrow(0, (rank + 1) * b, (worldSize - rank - 1) * b));
        }
        Tensor out = T.cat(0, parts.toArray(Tensor[]::new)); // (W·B, ...), gradient flows into local's slice
        if (out.requires_grad()) {
            out.register_hook(gatherGradHook);
        }
        return out;
    }

    /** The backward of {@link #allGatherWithGrad}: sum the gradient of the gathered tensor over all ranks. */
    private final class GatherGradHook extends TensorTensorHook {
        @Override
        public TensorBase call(TensorBase grad) {
            Tensor summed = new Tensor(grad).clone(); // the argument lives only for this call
            grad.close(); // JavaCPP's copy of the argument sits in the caller's PointerScope: release it now
            allReduceSum(summed);
            return summed;
        }
    }

    /** Copies {@code root}'s values of every tensor into the others' (in place, same order and shapes on all ranks). */
    public void broadcast(Collection<Tensor> tensors, int root) {
        if (!enabled()) {
            return;
        }
        try (NoGradGuard g = new NoGradGuard()) {
            for (Tensor t : tensors) {
                try (PointerScope s = new PointerScope()) {
                    Tensor c = t.is_contiguous() ? t : t.contiguous();
                    Tensor staged = toDevice(c);
                    BroadcastOptions o = new BroadcastOptions();
                    o.rootRank(root);
                    long started = System.nanoTime();
                    Work w;
                    try {
                        w = group.broadcast(new TensorVector(staged), o);
                    } catch (RuntimeException e) {
                        throw failure("broadcast", e);
                    }
                    await(new Pending(c, staged, w, started), "broadcast");
                    if (c != t) {
                        t.copy_(c);
                    }
                }
            }
        }
    }

    /** {@code root}'s values of a few numbers, on every rank. */
    public long[] broadcast(long[] values, int root) {
        if (!enabled()) {
            return values.clone();
        }
        try (PointerScope s = new PointerScope()) {
            Tensor t = T.longs(values, values.length);
            broadcast(List.of(t), root);
            return T.toLongs(t);
        }
    }

    /** Waits until every rank got here. */
    public void barrier() {
        allReduceLong(0, ReduceOp.RedOpType.SUM);
    }

    /**
     * SHA-256 of named tensors (names sorted, then each tensor's bytes): equal on every rank exactly when the ranks
     * hold bit-identical weights.
     */
    public static String fingerprint(Map<String, Tensor> named) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (PointerScope s = new PointerScope();
                    NoGradGuard g = new NoGradGuard()) {
                for (var e : new TreeMap<>(named).entrySet()) {
                    md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
                    md.update(T.toRaw(e.getValue()).data());
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Checks that every rank holds the same tensors (the invariant of data-parallel training) and returns their
     * fingerprint; logs each rank's. Throws naming the first rank whose tensors differ from rank 0's.
     */
    public String verifyIdentical(Map<String, Tensor> named) {
        String mine = fingerprint(named);
        LOG.info("rank {}: weights sha256 {}", rank, mine);
        if (!enabled()) {
            return mine;
        }
        try (PointerScope s = new PointerScope()) {
            byte[] h = HexFormat.of().parseHex(mine);
            long[] words = new long[4];
            for (int i = 0; i < 32; i++) {
                words[i / 8] = (words[i / 8] << 8) | (h[i] & 0xFF);
            }
            long[] all = T.toLongs(allGather(T.longs(words, 1, 4)));
            for (int r = 1; r < worldSize; r++) {
                for (int i = 0; i < 4; i++) {
                    if (all[r * 4 + i] != all[i]) {
                        throw new IllegalStateException(
                                "the ranks' weights diverged: rank " + r + "'s differ from rank 0's");
                    }
                }
            }
        }
        if (isMain()) {
            LOG.info("weights identical on all {} ranks (sha256 {})", worldSize, mine);
        }
        return mine;
    }

    /**
     * Tells the other ranks why this one stops (they repeat it in their own error), when the store is still there.
     * Call from the top level before exiting with an error that is not itself a {@link DistributedException}.
     */
    public void abort(Throwable cause) {
        if (!enabled() || cause instanceof DistributedException) {
            return;
        }
        try {
            String msg = cause.getMessage() == null ? cause.getClass().getSimpleName() : firstLine(cause);
            store.set(ERROR + rank, bytes(msg));
        } catch (RuntimeException ignored) {
            // the store is gone too: the others will report this rank as gone
        }
    }

    /** The failure of a collective, with the ranks that did not answer named (see the class comment). */
    private DistributedException failure(String what, RuntimeException e) {
        if (failed != null) {
            return failed;
        }
        String cause = firstLine(e);
        List<Integer> silent = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        boolean storeGone = false;
        try {
            store.set(DOWN + rank, bytes(cause));
            for (int r = 0; r < worldSize; r++) {
                if (r != rank) {
                    silent.add(r);
                }
            }
            long end = System.nanoTime() + GRACE.toNanos();
            while (!silent.isEmpty() && System.nanoTime() < end) {
                silent.removeIf(r -> store.check(new StringVector(DOWN + r)));
                Thread.sleep(50);
            }
            for (int r : silent) {
                if (store.check(new StringVector(ERROR + r))) {
                    errors.add("rank " + r + " failed: "
                            + new String(store.get(ERROR + r).get(), StandardCharsets.UTF_8));
                }
            }
        } catch (RuntimeException storeError) {
            storeGone = true; // the store lives in rank 0's process
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
        String msg;
        if (storeGone && rank != 0) {
            silent = List.of(0);
            msg = "rank 0 (the master, which serves the rendezvous store) is gone";
        } else if (!errors.isEmpty()) {
            msg = String.join("; ", errors);
        } else if (silent.isEmpty()) {
            msg = "a collective failed on every rank";
        } else {
            msg = (silent.size() == 1 ? "rank " + silent.get(0) + " is" : "ranks " + silent + " are")
                    + " gone or not responding (process died, machine unreachable, or hung for the collective timeout "
                    + "of "
                    + timeout.toSeconds() + " s)";
        }
        failed = new DistributedException(
                msg + "; rank " + rank + " stops (" + what + " failed: " + cause + ")", silent, e);
        return failed;
    }

    private Tensor toDevice(Tensor t) {
        return device == null ? t : t.to(device, t.scalar_type());
    }

    private static ByteVector bytes(String s) {
        return new ByteVector(s.getBytes(StandardCharsets.UTF_8));
    }

    /** The first line of an exception's message (c10d appends a native stack trace). */
    static String firstLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName();
        }
        String line = m.lines().findFirst().orElse(m).strip();
        return line.replaceFirst("^\\[[^\\]]*\\.(cc|cpp):\\d+\\]\\s*", ""); // drop the C++ source location
    }

    /** Shuts the process group down; the single context is never closed. */
    @Override
    public void close() {
        if (group != null) {
            try {
                group.waitForPendingWorks();
            } catch (RuntimeException ignored) {
                // closing after a failure
            }
        }
    }
}

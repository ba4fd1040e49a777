package org.blip4j.dist;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.ReduceOp;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Averages gradients over the ranks as {@code DistributedDataParallel} does: parameters are grouped into buckets of
 * about {@code bucket_cap_mb} (25 MB by default), in reverse registration order (the order backward produces them),
 * each bucket is flattened into one buffer and summed with one all-reduce, and the sum divided by the world size is
 * copied back into every {@code .grad}. All buckets are started before the first is awaited, so the process group's
 * threads pipeline them.
 *
 * <p>Not overlapped with backward (DDP starts a bucket's all-reduce from autograd hooks as soon as its last gradient
 * is ready): the training loop finishes gradient-checkpointed ViT blocks after {@code backward()} and sums
 * gradient-accumulation micro-batches first, and on CPUs the all-reduce competes with backward for the same cores;
 * docs/training.md gives the measured communication share, the most overlap could save.
 *
 * <p>A parameter without a gradient on this rank (unused in its forward) contributes zeros, and receives the average
 * of the others, so every rank applies the same update.
 */
public final class GradientSync {
    /** DDP's default bucket size. */
    public static final long DEFAULT_BUCKET_BYTES = 25L << 20;

    private final Distributed dist;
    private final List<Tensor> params;
    private final long capBytes;
    private List<Bucket> buckets;

    private record Bucket(List<Tensor> params, long[] offsets, Tensor flat) {}

    /**
     * @param params the trained parameters in registration order
     * @param capBytes bucket size in bytes (a parameter larger than this gets a bucket of its own)
     */
    public GradientSync(Distributed dist, Collection<Tensor> params, long capBytes) {
        if (capBytes < 1) {
            throw new IllegalArgumentException("bucket size must be positive, got " + capBytes);
        }
        this.dist = dist;
        this.params = new ArrayList<>(params);
        this.capBytes = capBytes;
    }

    /** Number of buckets (known after the first {@link #average()}; 0 before, or with one rank). */
    public int buckets() {
        return buckets == null ? 0 : buckets.size();
    }

    /** Replaces every parameter's gradient by its mean over all ranks. A no-op with one rank. */
    public void average() {
        if (!dist.enabled()) {
            return;
        }
        if (buckets == null) {
            buckets = build();
        }
        try (NoGradGuard g = new NoGradGuard();
                PointerScope s = new PointerScope()) {
            List<Distributed.Pending> pending = new ArrayList<>();
            for (Bucket b : buckets) {
                for (int i = 0; i < b.params().size(); i++) {
                    Tensor grad = b.params().get(i).grad();
                    Tensor slot =
                            b.flat().narrow(0, b.offsets()[i], b.params().get(i).numel());
                    if (grad.defined()) {
                        slot.copy_(grad.reshape(-1));
                    } else {
                        slot.zero_();
                    }
                }
                pending.add(dist.start(b.flat(), ReduceOp.RedOpType.SUM));
            }
            for (int k = 0; k < buckets.size(); k++) {
                Bucket b = buckets.get(k);
                dist.await(pending.get(k), "gradient all-reduce");
                b.flat().div_(org.blip4j.engine.T.s((double) dist.worldSize()));
                for (int i = 0; i < b.params().size(); i++) {
                    Tensor p = b.params().get(i);
                    Tensor mean = b.flat().narrow(0, b.offsets()[i], p.numel()).view(p.sizes());
                    Tensor grad = p.grad();
                    if (grad.defined()) {
                        grad.copy_(mean);
                    } else {
                        p.mutable_grad().put(mean.clone());
                    }
                }
            }
        }
    }

    private List<Bucket> build() {
        List<Bucket> out = new ArrayList<>();
        List<Tensor> current = new ArrayList<>();
        long bytes = 0;
        for (int i = params.size() - 1; i >= 0; i--) { // reverse registration order, as DDP
            Tensor p = params.get(i);
            long size = p.numel() * p.element_size();
            boolean otherType = !current.isEmpty() && current.get(0).scalar_type().value != p.scalar_type().value;
            if (!current.isEmpty() && (bytes + size > capBytes || otherType)) {
                out.add(bucket(current));
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(p);
            bytes += size;
        }
        if (!current.isEmpty()) {
            out.add(bucket(current));
        }
        return out;
    }

    private static Bucket bucket(List<Tensor> ps) {
        long[] offsets = new long[ps.size()];
        long n = 0;
        for (int i = 0; i < ps.size(); i++) {
            offsets[i] = n;
            n += ps.get(i).numel();
        }
        TensorOptions o = ps.get(0).options();
        Tensor flat = torch.zeros(new long[] {n}, o);
        flat.retainReference(); // lives as long as the training run, whatever scope is open
        return new Bucket(List.copyOf(ps), offsets, flat);
    }
}

package org.blip4j.dist;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.blip4j.engine.T;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A worker of {@link DistributedOpsTest}: one rank checking every collective against values derived by hand from
 * the rank numbers, printing {@code OK <check>} per check (an exception and exit 1 on a mismatch).
 */
public final class OpsWorker {
    private OpsWorker() {}

    public static void main(String[] args) {
        try (Distributed d = Distributed.fromEnvironment();
                PointerScope scope = new PointerScope()) {
            int r = d.rank();
            int w = d.worldSize();
            check(w == 2, "world size " + w);

            // mean of (r + 1) over ranks 0 and 1 = 1.5; a NaN on any rank is NaN everywhere
            double[] mean = d.allReduceMean(new double[] {r + 1, r == 1 ? Double.NaN : 0});
            check(mean[0] == 1.5 && Double.isNaN(mean[1]), "allReduceMean " + java.util.Arrays.toString(mean));
            ok("allReduceMean");

            check(d.allTrue(true) && !d.allTrue(r == 0) && d.allMax(10 + r) == 11, "allTrue / allMax");
            ok("allTrue");

            // concat_all_gather: rank-major rows; rank r contributes rows (r, r) and (r + 10, r + 10)
            Tensor local = T.floats(new float[] {r, r, r + 10, r + 10}, 2, 2);
            float[] g = T.toFloats(d.allGather(local));
            check(
                    java.util.Arrays.equals(g, new float[] {0, 0, 10, 10, 1, 1, 11, 11}),
                    "allGather " + java.util.Arrays.toString(g));
            ok("allGather");

            // all_gather_with_grad: x_r = (r+1)·ones(2, 3); rank r's loss = Σ G ⊙ c_r with c_r = (r+1)·arange(12)
            // reshaped (4, 3). d(Σ_r loss_r)/d x_r = (c_0 + c_1)[rows of r] = 3·arange(12)[6r .. 6r+5].
            Tensor x = torch.full(new long[] {2, 3}, T.s((double) r + 1)).set_requires_grad(true);
            Tensor gathered = d.allGatherWithGrad(x); // (4, 3)
            float[] gv = T.toFloats(gathered.detach());
            check(gv[0] == 1 && gv[6] == 2, "gathered values " + java.util.Arrays.toString(gv));
            Tensor c =
                    torch.arange(T.s(12L)).to(torch.ScalarType.Float).view(4, 3).mul(T.s((double) r + 1));
            gathered.mul(c).sum().backward();
            float[] grad = T.toFloats(x.grad());
            for (int i = 0; i < 6; i++) {
                check(grad[i] == 3f * (6 * r + i), "all_gather_with_grad gradient " + java.util.Arrays.toString(grad));
            }
            ok("allGatherWithGrad");

            // bucketed gradient averaging: a 16-byte cap makes one bucket per parameter; p3 has a gradient on rank 0
            // only
            Map<String, Tensor> params = new LinkedHashMap<>();
            params.put("p1", torch.zeros(3).set_requires_grad(true));
            params.put("p2", torch.zeros(2, 2).set_requires_grad(true));
            params.put("p3", torch.zeros(5).set_requires_grad(true));
            Tensor loss = params.get("p1")
                    .sum()
                    .mul(T.s((double) r + 1))
                    .add(params.get("p2").sum().mul(T.s(10.0 * r)));
            if (r == 0) {
                loss = loss.add(params.get("p3").sum().mul(T.s(4.0)));
            }
            loss.backward();
            GradientSync sync = new GradientSync(d, params.values(), 16);
            sync.average();
            check(sync.buckets() == 3, "buckets " + sync.buckets());
            check(
                    allEqual(params.get("p1").grad(), 1.5f)
                            && allEqual(params.get("p2").grad(), 5f)
                            && allEqual(params.get("p3").grad(), 2f),
                    "averaged gradients " + T.toFloats(params.get("p3").grad())[0]);
            ok("gradientSync");

            // broadcast from rank 0, then the weights check: equal, and then a difference on rank 1 named
            Tensor t = torch.full(new long[] {4}, T.s(r == 0 ? 7.0 : -1.0));
            d.broadcast(List.of(t), 0);
            check(allEqual(t, 7f), "broadcast");
            long[] pos = d.broadcast(new long[] {r == 0 ? 42 : 0, r == 0 ? 3 : 0}, 0);
            check(pos[0] == 42 && pos[1] == 3, "broadcast longs");
            ok("broadcast");
            Map<String, Tensor> weights = Map.of("a", t, "b", T.floats(new float[] {1, 2}, 2));
            String h = d.verifyIdentical(weights);
            check(h.equals(Distributed.fingerprint(weights)), "fingerprint");
            if (r == 1) {
                try (NoGradGuard ng = new NoGradGuard()) {
                    t.add_(T.s(1.0));
                }
            }
            try {
                d.verifyIdentical(weights);
                check(false, "diverged weights were not noticed");
            } catch (IllegalStateException e) {
                check(e.getMessage().contains("rank 1"), e.getMessage());
            }
            ok("verifyIdentical");
            d.barrier();
        }
    }

    private static boolean allEqual(Tensor t, float v) {
        for (float f : T.toFloats(t)) {
            if (f != v) {
                return false;
            }
        }
        return true;
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError("check failed: " + what);
        }
    }

    private static void ok(String name) {
        System.out.println("OK " + name);
    }
}

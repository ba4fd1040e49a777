package org.blip4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.blip4j.engine.T;
import org.blip4j.nn.Block;
import org.blip4j.nn.Linear;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code grad_accumulation = k}: k batches of b samples before each update train exactly like one batch of k·b
 * samples, for a loss that is a mean over samples. The optimiser's eps is large so that its update is nearly
 * proportional to the gradient: an accumulation that forgot to divide by k, or that leaked gradients across updates,
 * would move the weights by a different amount.
 */
class GradAccumulationTest {
    static final int IN = 5;
    static final int OUT = 3;
    static final int B = 2;
    static final int K = 3;
    static final int UPDATES = 2;

    @TempDir
    Path tmp;

    /** One linear layer; the loss is the mean squared error over samples and outputs. */
    static final class Tiny extends Block {
        final Linear lin = child("lin", new Linear(IN, OUT));
    }

    record Xy(float[] x, float[] y, int rows) {}

    static float[] randoms(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    /** The same samples cut into batches of {@code rows}. */
    static List<Xy> batches(float[] x, float[] y, int rows) {
        List<Xy> out = new ArrayList<>();
        int n = x.length / IN;
        for (int s = 0; s < n; s += rows) {
            out.add(new Xy(
                    java.util.Arrays.copyOfRange(x, s * IN, (s + rows) * IN),
                    java.util.Arrays.copyOfRange(y, s * OUT, (s + rows) * OUT),
                    rows));
        }
        return out;
    }

    static Trainer.EpochData<Xy> data(List<Xy> items) {
        return new Trainer.EpochData<>() {
            @Override
            public long batchesPerEpoch() {
                return items.size();
            }

            @Override
            public Iterator<Xy> epoch(int epoch, long start) {
                return items.subList((int) start, items.size()).iterator();
            }
        };
    }

    float[] train(List<Xy> items, int accumulation, float[] w0, float[] b0, String dir) throws Exception {
        Tiny m = new Tiny();
        try (NoGradGuard g = new NoGradGuard()) {
            m.lin.weight.copy_(T.floats(w0, OUT, IN));
            m.lin.bias.copy_(T.floats(b0, OUT));
        }
        m.requiresGrad(true);
        AdamW opt = new AdamW(m.namedParameters(), 0.5, 0.9, 0.999, 10.0, 0.0, n -> true);
        Trainer.Objective<Xy> mse = (xy, s) -> {
            Tensor pred = m.lin.forward(T.floats(xy.x(), xy.rows(), IN)); // (rows, OUT)
            Tensor d = pred.sub(T.floats(xy.y(), xy.rows(), OUT));
            return Map.of("loss", d.mul(d).mean());
        };
        new Trainer<>(
                        m,
                        m.namedParameters(),
                        opt,
                        mse,
                        data(items),
                        (e, b, p) -> 0.5,
                        new Trainer.Options(tmp.resolve(dir), 1, 1, accumulation, 0, 1, 0, false, false))
                .fit();
        assertEquals(UPDATES, opt.stepCount(), dir + ": optimiser steps");
        float[] w = T.toFloats(m.lin.weight.detach());
        float[] out = java.util.Arrays.copyOf(w, w.length + OUT);
        System.arraycopy(T.toFloats(m.lin.bias.detach()), 0, out, w.length, OUT);
        return out;
    }

    @Test
    void accumulatingKBatchesEqualsOneBatchOfKTimesTheSamples() throws Exception {
        Random r = new Random(11);
        int samples = UPDATES * K * B;
        float[] x = randoms(r, samples * IN);
        float[] y = randoms(r, samples * OUT);
        float[] w0 = randoms(r, OUT * IN);
        float[] b0 = randoms(r, OUT);
        float[] accumulated = train(batches(x, y, B), K, w0, b0, "accumulated");
        float[] big = train(batches(x, y, K * B), 1, w0, b0, "big");
        double diff = 0;
        double moved = 0;
        for (int i = 0; i < big.length; i++) {
            diff = Math.max(diff, Math.abs(accumulated[i] - big[i]));
            moved = Math.max(moved, Math.abs(big[i] - (i < w0.length ? w0[i] : b0[i - w0.length])));
        }
        System.out.printf(
                "grad_accumulation %d x %d vs batch %d: max|diff| %.3e (weights moved up to %.3e)%n",
                K, B, K * B, diff, moved);
        assertTrue(moved > 1e-2, "the updates must move the weights visibly, moved " + moved);
        assertTrue(diff <= 1e-6, "accumulated and big-batch training differ by " + diff);
    }
}

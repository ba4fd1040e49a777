package org.blip4j.generate;

import java.util.SplittableRandom;
import org.blip4j.engine.T;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * The decode loop of transformers 4.15 {@code generate} for BLIP: prefill the prompt, then one token per step with a
 * finished flag per row (greedy or sampling), or {@link BeamSearch}. Each step runs in its own PointerScope; the
 * caller's {@link DecoderStep} keeps what must outlive it.
 */
public final class Generator {
    private Generator() {}

    /** Observes each step's raw logits (R, V) before any processor (for tests and tracing). */
    @FunctionalInterface
    public interface StepListener {
        void onStep(int step, float[][] rawLogits);
    }

    /**
     * Generates from prompts (R rows of equal length) and returns full sequences (prompt included), padded after eos
     * as HF does. With beams, each prompt row is one batch entry expanded to numBeams rows. With
     * {@code numReturnSequences = n}, the result has n consecutive rows per prompt.
     */
    public static long[][] generate(
            DecoderStep model, long[][] prompts, GenerationConfig cfg, int eos, int pad, StepListener listener) {
        return generate(model, prompts, cfg, eos, pad, listener, null);
    }

    /**
     * As {@link #generate(DecoderStep, long[][], GenerationConfig, int, int, StepListener)}, but when sampling each
     * prompt draws from its own random source seeded with {@code promptSeeds[i]} (null: one source seeded with
     * {@link GenerationConfig#seed()} for the whole batch). A prompt's samples then do not depend on the other prompts
     * of its batch: they are those of a batch of that prompt alone with {@code cfg.withSeed(promptSeeds[i])}.
     * Deterministic decoding ignores the seeds.
     */
    public static long[][] generate(
            DecoderStep model,
            long[][] prompts,
            GenerationConfig cfg,
            int eos,
            int pad,
            StepListener listener,
            long[] promptSeeds) {
        if (promptSeeds != null && promptSeeds.length != prompts.length) {
            throw new IllegalArgumentException(prompts.length + " prompts but " + promptSeeds.length + " seeds");
        }
        if (cfg.numBeams() > 1) {
            return new BeamSearch(cfg, eos, pad).run(model, prompts, null);
        }
        int n = cfg.numReturnSequences();
        if (n > 1) { // n samples per prompt: rows prompt0 × n, prompt1 × n, … share their source's states
            long[][] rows = new long[prompts.length * n][];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = prompts[i / n];
            }
            prompts = rows;
        }
        SplittableRandom[] rngs = null;
        if (promptSeeds != null) {
            rngs = new SplittableRandom[prompts.length];
            for (int i = 0; i < rngs.length; i += n) { // the n rows of a prompt share its source, drawn in row order
                SplittableRandom own = new SplittableRandom(promptSeeds[i / n]);
                java.util.Arrays.fill(rngs, i, i + n, own);
            }
        }
        return greedyOrSample(model, prompts, cfg, eos, pad, listener, rngs);
    }

    static long[][] greedyOrSample(
            DecoderStep model, long[][] prompts, GenerationConfig cfg, int eos, int pad, StepListener listener) {
        return greedyOrSample(model, prompts, cfg, eos, pad, listener, null);
    }

    /** {@code rowRngs}: the random source of each row when sampling, or null for one source seeded by the config. */
    static long[][] greedyOrSample(
            DecoderStep model,
            long[][] prompts,
            GenerationConfig cfg,
            int eos,
            int pad,
            StepListener listener,
            SplittableRandom[] rowRngs) {
        int rows = prompts.length;
        int prefix = prompts[0].length;
        int max = Math.max(cfg.effectiveMaxLength(prefix), prefix);
        long[][] seq = new long[rows][max];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(prompts[r], 0, seq[r], 0, prefix);
        }
        boolean[] finished = new boolean[rows];
        SplittableRandom rng = new SplittableRandom(cfg.seed());
        int cur = prefix;
        Tensor input = T.longs(prompts);
        int step = 0;
        while (cur < max) {
            float[][] scores;
            try (PointerScope scope = new PointerScope()) {
                Tensor logits = model.next(input); // (R, V)
                scores = rows2d(logits);
            }
            if (listener != null) {
                listener.onStep(step, copy(scores));
            }
            long[] next = new long[rows];
            for (int r = 0; r < rows; r++) {
                float[] s = scores[r];
                Processors.repetitionPenalty(s, seq[r], cur, (float) cfg.repetitionPenalty());
                Processors.minLength(s, cur, cfg.minLength(), eos);
                int tok;
                if (cfg.sample()) {
                    Processors.temperature(s, (float) cfg.temperature());
                    Processors.topK(s, cfg.topK());
                    Processors.topP(s, cfg.topP());
                    tok = sample(s, rowRngs == null ? rng : rowRngs[r]);
                } else {
                    tok = Processors.argmax(s);
                }
                next[r] = finished[r] ? pad : tok;
                seq[r][cur] = next[r];
                if (tok == eos) {
                    finished[r] = true;
                }
            }
            cur++;
            step++;
            boolean all = true;
            for (boolean f : finished) {
                all &= f;
            }
            if (all) {
                break;
            }
            input = T.longs(next, rows, 1);
        }
        long[][] out = new long[rows][cur];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(seq[r], 0, out[r], 0, cur);
        }
        return out;
    }

    /** Draws from softmax(scores) with a seeded Java RNG (torch's CPU RNG stream cannot be reproduced). */
    static int sample(float[] s, SplittableRandom rng) {
        int best = Processors.argmax(s);
        double max = s[best];
        double sum = 0;
        double[] p = new double[s.length];
        for (int i = 0; i < s.length; i++) {
            p[i] = s[i] == Float.NEGATIVE_INFINITY ? 0 : Math.exp(s[i] - max);
            sum += p[i];
        }
        double u = rng.nextDouble() * sum;
        for (int i = 0; i < s.length; i++) {
            u -= p[i];
            if (u < 0 && p[i] > 0) {
                return i;
            }
        }
        return best;
    }

    static float[][] rows2d(Tensor t) {
        int r = (int) t.size(0);
        int v = (int) t.size(1);
        float[] flat = T.toFloats(t);
        float[][] out = new float[r][v];
        for (int i = 0; i < r; i++) {
            System.arraycopy(flat, i * v, out[i], 0, v);
        }
        return out;
    }

    static float[][] copy(float[][] a) {
        float[][] c = new float[a.length][];
        for (int i = 0; i < a.length; i++) {
            c[i] = a[i].clone();
        }
        return c;
    }
}

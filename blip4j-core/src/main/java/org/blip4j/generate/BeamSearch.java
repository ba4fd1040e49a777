package org.blip4j.generate;

import java.util.ArrayList;
import java.util.List;
import org.blip4j.engine.T;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Beam search as transformers 4.15 {@code beam_search} + {@code BeamSearchScorer} (what BLIP's captioner and VQA
 * answer decoder call): log-softmax, processors on log-probs, top 2K per batch, finished hypotheses kept in a best-K
 * list normalised by length^lengthPenalty.
 *
 * <p>Rows are batch-major: batch b's beams are rows b·K .. b·K + K - 1.
 */
public final class BeamSearch {
    private final GenerationConfig cfg;
    private final int eos;
    private final int pad;

    public BeamSearch(GenerationConfig cfg, int eos, int pad) {
        this.cfg = cfg;
        this.eos = eos;
        this.pad = pad;
    }

    /**
     * One step's decisions, shaped like the reference fixture's beam traces. Candidates of a batch entry that was
     * already done are meaningless (its rows all score 0) and only recorded for completeness.
     */
    public record StepTrace(
            float[][] candScores,
            int[][] candTokens,
            int[][] candBeam,
            float[] beamScores,
            long[] beamTokens,
            int[] beamIdx,
            List<List<Hypothesis>> finished,
            boolean[] doneBefore) {}

    /** A finished sequence (prompt included, eos excluded) with its length-normalised score. */
    public record Hypothesis(double score, long[] tokens) {}

    /** Best-K finished hypotheses of one batch entry ({@code BeamHypotheses}). */
    static final class Hypotheses {
        final List<Hypothesis> beams = new ArrayList<>();
        double worst = 1e9;
        final int k;
        final double lengthPenalty;
        final boolean earlyStopping;

        Hypotheses(int k, double lengthPenalty, boolean earlyStopping) {
            this.k = k;
            this.lengthPenalty = lengthPenalty;
            this.earlyStopping = earlyStopping;
        }

        void add(long[] hyp, float sumLogProbs) {
            double score = sumLogProbs / Math.pow(hyp.length, lengthPenalty);
            if (beams.size() < k || score > worst) {
                beams.add(new Hypothesis(score, hyp));
                if (beams.size() > k) {
                    int worstIdx = 0;
                    for (int i = 1; i < beams.size(); i++) {
                        if (beams.get(i).score() < beams.get(worstIdx).score()) {
                            worstIdx = i;
                        }
                    }
                    beams.remove(worstIdx);
                    worst = beams.stream().mapToDouble(Hypothesis::score).min().orElse(1e9);
                } else {
                    worst = Math.min(score, worst);
                }
            }
        }

        boolean isDone(float bestSumLogProbs, int curLen) {
            if (beams.size() < k) {
                return false;
            }
            if (earlyStopping) {
                return true;
            }
            return worst >= bestSumLogProbs / Math.pow(curLen, lengthPenalty);
        }
    }

    /** Runs beam search from one prompt per batch entry; {@code trace} (nullable) receives every step. */
    public long[][] run(DecoderStep model, long[][] prompts, List<StepTrace> trace) {
        int batch = prompts.length;
        int k = cfg.numBeams();
        int rows = batch * k;
        int cur = prompts[0].length;
        int maxLength = cfg.effectiveMaxLength(cur);
        long[][] seq = new long[rows][];
        for (int r = 0; r < rows; r++) {
            seq[r] = prompts[r / k].clone();
        }
        float[] beamScores = new float[rows];
        for (int r = 0; r < rows; r++) {
            beamScores[r] = r % k == 0 ? 0f : -1e9f;
        }
        Hypotheses[] hyps = new Hypotheses[batch];
        boolean[] done = new boolean[batch];
        for (int b = 0; b < batch; b++) {
            hyps[b] = new Hypotheses(k, cfg.lengthPenalty(), cfg.earlyStopping());
        }
        Tensor input = T.longs(seq);
        while (true) {
            float[][] logp;
            try (PointerScope scope = new PointerScope()) {
                Tensor logits = model.next(input); // (R, V)
                logp = Generator.rows2d(torch.log_softmax(logits, -1));
            }
            int v = logp[0].length;
            for (int r = 0; r < rows; r++) {
                Processors.repetitionPenalty(logp[r], seq[r], cur, (float) cfg.repetitionPenalty());
                Processors.minLength(logp[r], cur, cfg.minLength(), eos);
                for (int t = 0; t < v; t++) {
                    logp[r][t] += beamScores[r];
                }
            }
            float[] nextScores = new float[rows];
            long[] nextTokens = new long[rows];
            int[] nextRows = new int[rows];
            StepTrace st = trace == null
                    ? null
                    : new StepTrace(
                            new float[batch][],
                            new int[batch][],
                            new int[batch][],
                            nextScores,
                            nextTokens,
                            nextRows,
                            new ArrayList<>(),
                            done.clone());
            for (int b = 0; b < batch; b++) {
                int[] cand = top(logp, b * k, k, v, 2 * k); // flat indices beam*V + token, descending
                if (st != null) {
                    st.candScores()[b] = new float[cand.length];
                    st.candTokens()[b] = new int[cand.length];
                    st.candBeam()[b] = new int[cand.length];
                    for (int i = 0; i < cand.length; i++) {
                        st.candScores()[b][i] = logp[b * k + cand[i] / v][cand[i] % v];
                        st.candTokens()[b][i] = cand[i] % v;
                        st.candBeam()[b][i] = cand[i] / v;
                    }
                }
                if (done[b]) {
                    for (int j = 0; j < k; j++) {
                        nextScores[b * k + j] = 0;
                        nextTokens[b * k + j] = pad;
                        nextRows[b * k + j] =
                                0; // as the reference: a finished batch's rows point at row 0 (ignored later)
                    }
                    continue;
                }
                int filled = 0;
                float best = Float.NEGATIVE_INFINITY;
                for (int rank = 0; rank < cand.length; rank++) {
                    int src = b * k + cand[rank] / v;
                    int tok = cand[rank] % v;
                    float score = logp[src][tok];
                    best = Math.max(best, score);
                    if (tok == eos) {
                        if (rank < k) {
                            hyps[b].add(java.util.Arrays.copyOf(seq[src], cur), score);
                        }
                    } else if (filled < k) {
                        nextScores[b * k + filled] = score;
                        nextTokens[b * k + filled] = tok;
                        nextRows[b * k + filled] = src;
                        filled++;
                    }
                    if (filled == k) {
                        break;
                    }
                }
                float bestAll = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < cand.length; i++) {
                    bestAll = Math.max(bestAll, logp[b * k + cand[i] / v][cand[i] % v]);
                }
                done[b] = done[b] || hyps[b].isDone(bestAll, cur);
            }
            if (st != null) {
                for (Hypotheses h : hyps) {
                    st.finished().add(new ArrayList<>(h.beams));
                }
                trace.add(st);
            }
            long[][] nextSeq = new long[rows][];
            for (int r = 0; r < rows; r++) {
                nextSeq[r] = java.util.Arrays.copyOf(seq[nextRows[r]], cur + 1);
                nextSeq[r][cur] = nextTokens[r];
            }
            seq = nextSeq;
            beamScores = nextScores;
            cur++;
            boolean allDone = true;
            for (boolean d : done) {
                allDone &= d;
            }
            if (allDone || cur >= maxLength) {
                break;
            }
            try (PointerScope scope = new PointerScope()) {
                model.reorder(T.longs(toLongs(nextRows), rows));
            }
            input = T.longs(nextTokens, rows, 1);
        }
        return finish(seq, beamScores, hyps, done, batch, k, maxLength);
    }

    /** Adds live beams of unfinished batches, then returns the n best hypotheses per batch entry, padded as HF. */
    private long[][] finish(
            long[][] seq, float[] beamScores, Hypotheses[] hyps, boolean[] done, int batch, int k, int maxLength) {
        int n = cfg.numReturnSequences();
        List<long[]> best = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            if (!done[b]) {
                for (int j = 0; j < k; j++) {
                    hyps[b].add(seq[b * k + j], beamScores[b * k + j]);
                }
            }
            List<Hypothesis> sorted = new ArrayList<>(hyps[b].beams);
            sorted.sort((x, y) -> Double.compare(x.score(), y.score())); // ascending, stable; best taken from the end
            for (int j = 0; j < n; j++) {
                best.add(sorted.get(sorted.size() - 1 - j).tokens());
            }
        }
        int longest = best.stream().mapToInt(a -> a.length).max().orElse(0);
        int width = Math.min(longest + 1, maxLength);
        long[][] out = new long[best.size()][width];
        for (int r = 0; r < best.size(); r++) {
            long[] h = best.get(r);
            java.util.Arrays.fill(out[r], pad);
            System.arraycopy(h, 0, out[r], 0, Math.min(h.length, width));
            if (h.length < maxLength) {
                out[r][h.length] = eos;
            }
        }
        return out;
    }

    /** Indices (beam·V + token) of the n largest scores among rows [first, first + k), descending. */
    private static int[] top(float[][] scores, int first, int k, int v, int n) {
        int[] idx = new int[n];
        float[] val = new float[n];
        int size = 0;
        for (int j = 0; j < k; j++) {
            float[] row = scores[first + j];
            for (int t = 0; t < v; t++) {
                float s = row[t];
                if (size < n || s > val[size - 1]) {
                    int pos = size < n ? size++ : n - 1;
                    while (pos > 0 && val[pos - 1] < s) {
                        val[pos] = val[pos - 1];
                        idx[pos] = idx[pos - 1];
                        pos--;
                    }
                    val[pos] = s;
                    idx[pos] = j * v + t;
                }
            }
        }
        return idx;
    }

    private static long[] toLongs(int[] a) {
        long[] l = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            l[i] = a[i];
        }
        return l;
    }
}

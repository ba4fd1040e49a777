package org.blip4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.blip4j.config.BlipConfig;
import org.blip4j.engine.T;
import org.blip4j.generate.CrossAttentionDecoder;
import org.blip4j.generate.GenerationConfig;
import org.blip4j.generate.Generator;
import org.blip4j.model.BlipDecoder;
import org.blip4j.model.BlipVqa;
import org.blip4j.testutil.Fixture;
import org.blip4j.weights.Checkpoints;
import org.blip4j.weights.LoadPolicy;
import org.blip4j.weights.WeightLoader;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** n-best beams, several samples per image, max_new_tokens and VQA answer ranking, checked against the reference. */
class GenerationOptionsTest {
    static Fixture fx;
    static BlipDecoder decoder;
    static BlipVqa vqa;
    static int eos;
    static int pad;
    static int bos;

    @BeforeAll
    static void setUp() throws Exception {
        fx = Fixture.open();
        BlipConfig c = BlipConfig.readHf(fx.require("config.json"));
        decoder = new BlipDecoder(c);
        WeightLoader.load(decoder, Checkpoints.read(fx.require("blip_decoder.pth")), LoadPolicy.strict(), "dec");
        vqa = new BlipVqa(c);
        WeightLoader.load(vqa, Checkpoints.read(fx.require("blip_vqa.pth")), LoadPolicy.strict(), "vqa");
        JsonNode sp = fx.manifest().path("tokenizer").path("special_ids");
        eos = sp.path("sep").asInt();
        pad = sp.path("pad").asInt();
        bos = sp.path("bos_DEC").asInt();
    }

    @AfterAll
    static void tearDown() throws Exception {
        fx.close();
    }

    long[][] run(GenerationConfig cfg, int images) {
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            Tensor img = decoder.encodeImage(fx.tensor("input.pixel_values").narrow(0, 0, images));
            try (CrossAttentionDecoder d = new CrossAttentionDecoder(decoder.textDecoder(), img)) {
                long[][] prompts = new long[images][];
                Arrays.fill(prompts, GoldenSettings.captionPrefix(fx, bos));
                return Generator.generate(d, prompts, cfg, eos, pad, null);
            }
        }
    }

    static long[] trimmed(long[] row, int eos, int pad) {
        int n = row.length;
        while (n > 0 && (row[n - 1] == pad || row[n - 1] == eos)) {
            n--;
        }
        return Arrays.copyOf(row, n);
    }

    @Test
    void nBestBeamsStartWithTheReferenceBest() {
        long[] flat = fx.golden("beam3.ids").toLongs();
        int images = (int) fx.golden("beam3.ids").shape()[0];
        int width = (int) fx.golden("beam3.ids").shape()[1];
        GenerationConfig cfg = GoldenSettings.deterministic(fx, "beam3.ids");
        long[][] out = run(cfg.withNumReturnSequences(cfg.numBeams()), images);
        assertEquals(images * cfg.numBeams(), out.length);
        for (int i = 0; i < images; i++) {
            long[] best = trimmed(Arrays.copyOfRange(flat, i * width, (i + 1) * width), eos, pad);
            assertArrayEquals(best, trimmed(out[i * cfg.numBeams()], eos, pad), "image " + i + ": best beam");
            assertNotEquals(Arrays.toString(out[i * cfg.numBeams()]), Arrays.toString(out[i * cfg.numBeams() + 1]));
        }
    }

    @Test
    void severalSamplesPerImageAreSeededAndDrawnFromTheNucleus() {
        JsonNode allowed = fx.manifest().path("nucleus_allowed_tokens").get(0); // step 0: same logits for every sample
        int images = allowed.size();
        int prefix = GoldenSettings.captionPrefix(fx, bos).length;
        GenerationConfig cfg = GenerationConfig.nucleus(0.9, 20, 5, 7).withNumReturnSequences(4);
        long[][] a = run(cfg, images);
        long[][] b = run(cfg, images);
        assertEquals(images * 4, a.length);
        for (int r = 0; r < a.length; r++) {
            assertArrayEquals(a[r], b[r], "same seed, same samples");
            long first = a[r][prefix];
            boolean inSet = false;
            for (JsonNode t : allowed.get(r / 4)) {
                inSet |= t.asLong() == first;
            }
            assertTrue(inSet, "row " + r + ": first sampled token " + first + " is outside the reference's nucleus");
        }
        long[][] c = run(cfg.withSeed(8), images);
        assertTrue(!Arrays.deepEquals(a, c), "another seed gives other samples");
    }

    @Test
    void maxNewTokensCountsFromThePrompt() {
        int prefix = GoldenSettings.captionPrefix(fx, bos).length;
        long[][] out = run(GenerationConfig.greedy(100, 0).withMaxNewTokens(3).withLengths(100, prefix + 3), 1);
        assertEquals(prefix + 3, out[0].length);
        long[] greedy8 = fx.golden("greedy8.ids").toLongs();
        for (int i = 0; i < prefix + 3; i++) {
            assertEquals(greedy8[i], out[0][i], "greedy tokens agree with the reference's greedy8 run");
        }
        assertThrows(
                IllegalArgumentException.class,
                () -> GenerationConfig.beam(3, 20, 5).withNumReturnSequences(4));
    }

    /** The rank score is the negated label-smoothed summed loss: recomputed here from step-by-step logits. */
    @Test
    void vqaRankPicksTheLikeliestAnswer() {
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            // question 0 alone, without the batch's padding (the incremental path below attends to every state)
            Tensor mask0 = fx.tensor("vqa.question_attention_mask").narrow(0, 0, 1);
            long len = T.toLongs(mask0.sum())[0];
            Tensor qids = fx.tensor("vqa.question_input_ids").narrow(0, 0, 1).narrow(1, 0, len);
            Tensor qmask = mask0.narrow(1, 0, len);
            Tensor img = vqa.encodeImage(fx.tensor("input.pixel_values").narrow(0, 0, 1));
            Tensor q = vqa.questionStates(img, qids, qmask);
            // candidate answers: the reference's generated answers plus a few vocabulary words, each [DEC] … [SEP]
            long[] gen = fx.golden("vqa.answer_ids").toLongs();
            int width = (int) fx.golden("vqa.answer_ids").shape()[1];
            List<long[]> answers = new ArrayList<>();
            answers.add(trimmedAnswer(Arrays.copyOfRange(gen, 0, width)));
            answers.add(trimmedAnswer(Arrays.copyOfRange(gen, width, 2 * width)));
            for (long t = 10; t < 16; t++) {
                answers.add(new long[] {bos, t, eos});
            }
            int la = answers.stream().mapToInt(x -> x.length).max().orElseThrow();
            long[][] ids = new long[answers.size()][la];
            long[][] mask = new long[answers.size()][la];
            for (int i = 0; i < answers.size(); i++) {
                System.arraycopy(answers.get(i), 0, ids[i], 0, answers.get(i).length);
                Arrays.fill(mask[i], 0, answers.get(i).length, 1);
            }
            BlipVqa.Ranking r = vqa.rankAnswers(q, qmask, T.longs(ids), T.longs(mask), answers.size());
            double best = Double.NEGATIVE_INFINITY;
            int bestIdx = -1;
            for (int i = 0; i < answers.size(); i++) {
                double sc = smoothedLogLikelihood(q, answers.get(i));
                int pos = indexOf(r.candidates(), i);
                assertEquals(sc, r.scores()[pos], 1e-4, "answer " + i);
                if (sc > best) {
                    best = sc;
                    bestIdx = i;
                }
            }
            assertEquals(bestIdx, r.best());
            BlipVqa.Ranking top2 = vqa.rankAnswers(q, qmask, T.longs(ids), T.longs(mask), 2);
            assertEquals(2, top2.candidates().length);
        }
    }

    private long[] trimmedAnswer(long[] row) {
        int n = 0;
        while (n < row.length && row[n] != eos && row[n] != pad) {
            n++;
        }
        long[] a = Arrays.copyOf(row, n + 1);
        a[n] = eos;
        return a;
    }

    private static int indexOf(long[] a, int v) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == v) {
                return i;
            }
        }
        throw new AssertionError("answer " + v + " not among the candidates");
    }

    /** -Σ_t [(1-ε)·(-log p(y_t)) + ε·mean_v(-log p(v))], ε = 0.1, from incremental (KV cache) logits. */
    private double smoothedLogLikelihood(Tensor q, long[] answer) {
        double loss = 0;
        try (CrossAttentionDecoder d = new CrossAttentionDecoder(vqa.textDecoder(), q)) {
            for (int t = 0; t + 1 < answer.length; t++) {
                float[] logits = T.toFloats(d.next(T.longs(new long[] {answer[t]}, 1, 1)));
                double max = Double.NEGATIVE_INFINITY;
                for (float x : logits) {
                    max = Math.max(max, x);
                }
                double z = 0;
                for (float x : logits) {
                    z += Math.exp(x - max);
                }
                double logZ = max + Math.log(z);
                double meanNll = 0;
                for (float x : logits) {
                    meanNll += (logZ - x) / logits.length;
                }
                loss += 0.9 * (logZ - logits[(int) answer[t + 1]]) + 0.1 * meanNll;
            }
        }
        return -loss;
    }
}

package org.blip4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.blip4j.config.BlipConfig;
import org.blip4j.engine.T;
import org.blip4j.generate.BeamSearch;
import org.blip4j.generate.CrossAttentionDecoder;
import org.blip4j.generate.GenerationConfig;
import org.blip4j.generate.Generator;
import org.blip4j.generate.Processors;
import org.blip4j.model.BlipDecoder;
import org.blip4j.model.BlipVqa;
import org.blip4j.testutil.ComparesGoldens;
import org.blip4j.testutil.Fixture;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Generation parity with the reference fixture, from both weight formats ({@code .pth} and {@code .hf.safetensors}):
 * greedy, beam (with repetition penalty and min length), VQA answers, beam traces step by step, and the nucleus
 * warpers. Settings are read strictly from the golden descriptions ({@link GoldenSettings}); a missing golden fails.
 */
@ComparesGoldens
class GenerationParityTest {
    static Fixture fx;
    static Map<String, BlipDecoder> decoders = new HashMap<>();
    static Map<String, BlipVqa> vqas = new HashMap<>();
    static int eos;
    static int pad;
    static int bos;

    @BeforeAll
    static void setUp() throws Exception {
        fx = Fixture.open();
        BlipConfig c = BlipConfig.readHf(fx.require("config.json"));
        for (String format : List.of("pth", "hf")) {
            decoders.put(format, fx.load(new BlipDecoder(c), "blip_decoder", format));
            vqas.put(format, fx.load(new BlipVqa(c), "blip_vqa", format));
        }
        JsonNode sp = fx.manifest().path("tokenizer").path("special_ids");
        eos = sp.path("sep").asInt();
        pad = sp.path("pad").asInt();
        bos = sp.path("bos_DEC").asInt();
    }

    @AfterAll
    static void tearDown() throws Exception {
        fx.close();
    }

    static long[][] prompts(long[] prefix, int n) {
        long[][] p = new long[n][];
        for (int i = 0; i < n; i++) {
            p[i] = prefix.clone();
        }
        return p;
    }

    long[][] caption(String format, String golden, List<BeamSearch.StepTrace> trace) {
        GenerationConfig cfg = GoldenSettings.deterministic(fx, golden);
        BlipDecoder decoder = decoders.get(format);
        int n = (int) fx.golden(golden).shape()[0];
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            Tensor img = decoder.encodeImage(fx.tensor("input.pixel_values").narrow(0, 0, n));
            try (CrossAttentionDecoder d = new CrossAttentionDecoder(decoder.textDecoder(), img)) {
                long[][] p = prompts(GoldenSettings.captionPrefix(fx, bos), n);
                if (cfg.numBeams() > 1) {
                    return new BeamSearch(cfg, eos, pad).run(d, p, trace);
                }
                return Generator.generate(d, p, cfg, eos, pad, null);
            }
        }
    }

    static long[] flat(long[][] a) {
        return Arrays.stream(a).flatMapToLong(Arrays::stream).toArray();
    }

    @ParameterizedTest
    @ValueSource(strings = {"pth", "hf"})
    void greedy(String format) {
        for (String g : List.of("greedy8.ids", "greedy20.ids")) {
            fx.assertIds(format + " " + g, g, flat(caption(format, g, null)));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"pth", "hf"})
    void beams(String format) {
        for (String g : List.of("beam3.ids", "beam3_rep1.5.ids", "beam3_min20.ids")) {
            fx.assertIds(format + " " + g, g, flat(caption(format, g, null)));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"pth", "hf"})
    void beamTraceMatchesReference(String format) {
        List<BeamSearch.StepTrace> trace = new ArrayList<>();
        long[][] out = caption(format, "beam3.ids", trace);
        checkTrace(format, "beam3", trace, out);
    }

    @ParameterizedTest
    @ValueSource(strings = {"pth", "hf"})
    void vqaAnswers(String format) {
        List<BeamSearch.StepTrace> trace = new ArrayList<>();
        GenerationConfig cfg = GoldenSettings.deterministic(fx, "vqa.answer_ids");
        BlipVqa vqa = vqas.get(format);
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            Tensor qids = fx.tensor("vqa.question_input_ids");
            Tensor qmask = fx.tensor("vqa.question_attention_mask");
            int n = (int) qids.size(0);
            Tensor img = vqa.encodeImage(fx.tensor("input.pixel_values").narrow(0, 0, n));
            Tensor q = vqa.questionStates(img, qids, qmask);
            try (CrossAttentionDecoder d = new CrossAttentionDecoder(vqa.textDecoder(), q)) {
                long[][] out = new BeamSearch(cfg, eos, pad).run(d, prompts(new long[] {bos}, n), trace);
                fx.assertIds(format + " vqa.answer_ids", "vqa.answer_ids", flat(out));
                checkTrace(format, "vqa", trace, out);
            }
        }
    }

    private void checkTrace(String format, String name, List<BeamSearch.StepTrace> trace, long[][] out) {
        JsonNode ref = fx.manifest().path("traces").path(name);
        JsonNode steps = ref.path("steps");
        assertEquals(steps.size(), trace.size(), name + ": number of steps");
        double maxDiff = 0;
        for (int i = 0; i < steps.size(); i++) {
            JsonNode rs = steps.get(i);
            BeamSearch.StepTrace st = trace.get(i);
            for (int b = 0; b < rs.path("cand_tokens").size(); b++) {
                if (st.doneBefore()[b]) {
                    continue; // a finished batch's candidates are ties among identical rows: order is arbitrary
                }
                assertArrayEquals(
                        ints(rs.path("cand_tokens").get(b)), st.candTokens()[b], name + " step " + i + " tokens");
                assertArrayEquals(ints(rs.path("cand_beam").get(b)), st.candBeam()[b], name + " step " + i + " beams");
                for (int j = 0; j < st.candScores()[b].length; j++) {
                    maxDiff = Math.max(
                            maxDiff,
                            Math.abs(rs.path("cand_scores").get(b).get(j).asDouble() - st.candScores()[b][j]));
                }
            }
            assertArrayEquals(longs(rs.path("beam_tokens")), st.beamTokens(), name + " step " + i + " chosen tokens");
            assertArrayEquals(ints(rs.path("beam_idx")), st.beamIdx(), name + " step " + i + " chosen rows");
            for (int b = 0; b < rs.path("finished").size(); b++) {
                JsonNode fin = rs.path("finished").get(b);
                List<BeamSearch.Hypothesis> mine = st.finished().get(b);
                assertEquals(fin.size(), mine.size(), name + " step " + i + " finished count");
                TreeSet<String> a = new TreeSet<>();
                TreeSet<String> e = new TreeSet<>();
                mine.forEach(x -> a.add(Arrays.toString(x.tokens())));
                for (int h = 0; h < fin.size(); h++) {
                    e.add(Arrays.toString(longs(fin.get(h).get(1))));
                    if (a.contains(Arrays.toString(longs(fin.get(h).get(1))))) {
                        maxDiff = Math.max(
                                maxDiff,
                                Math.abs(fin.get(h).get(0).asDouble()
                                        - scoreOf(mine, longs(fin.get(h).get(1)))));
                    }
                }
                assertEquals(e, a, name + " step " + i + " finished hypotheses");
            }
        }
        assertArrayEquals(flat(toArray(ref.path("output"))), flat(out), name + ": output");
        System.out.printf(
                "PARITY %-58s steps identical, max|score diff| = %.3e%n", format + " " + name + " beam trace", maxDiff);
        assertTrue(maxDiff <= 1e-4, name + ": trace scores differ by " + maxDiff);
    }

    private static double scoreOf(List<BeamSearch.Hypothesis> hyps, long[] tokens) {
        return hyps.stream()
                .filter(h -> Arrays.equals(h.tokens(), tokens))
                .findFirst()
                .orElseThrow()
                .score();
    }

    /**
     * BLIP's sampling warpers on the reference's raw step logits (the model's own logits are checked against
     * nucleus.step_logits in ModelParityTest): repetition penalty, min length, top-k and top-p give the reference's
     * warped scores and kept-token sets, and every token the reference drew lies in blip4j's kept set.
     */
    @Test
    void nucleusWarpersMatchReference() {
        Tensor rawAll = fx.tensor("nucleus.step_logits"); // (steps, B, V)
        float[] flatRaw = T.toFloats(rawAll);
        long[] ids = fx.golden("nucleus.ids").toLongs();
        long[] shape = fx.golden("nucleus.ids").shape();
        int steps = (int) rawAll.size(0);
        int rows = (int) rawAll.size(1);
        int v = (int) rawAll.size(2);
        int width = (int) shape[1];
        int prefix = GoldenSettings.captionPrefix(fx, bos).length;
        GenerationConfig cfg = GoldenSettings.nucleus(fx, "nucleus.ids");
        JsonNode allowed = fx.manifest().path("nucleus_allowed_tokens");
        assertEquals(steps, allowed.size(), "manifest nucleus_allowed_tokens: one entry per step");
        float[] warped = new float[flatRaw.length];
        int drawn = 0;
        for (int s = 0; s < steps; s++) {
            for (int r = 0; r < rows; r++) {
                float[] sc = Arrays.copyOfRange(flatRaw, (s * rows + r) * v, (s * rows + r + 1) * v);
                long[] seen = Arrays.copyOfRange(ids, r * width, r * width + prefix + s);
                Processors.repetitionPenalty(sc, seen, seen.length, (float) cfg.repetitionPenalty());
                Processors.minLength(sc, prefix + s, cfg.minLength(), eos);
                Processors.topK(sc, cfg.topK());
                Processors.topP(sc, cfg.topP());
                System.arraycopy(sc, 0, warped, (s * rows + r) * v, v);
                List<Integer> kept = new ArrayList<>();
                for (int t = 0; t < v; t++) {
                    if (!Float.isInfinite(sc[t])) {
                        kept.add(t);
                    }
                }
                assertArrayEquals(
                        ints(allowed.get(s).get(r)),
                        kept.stream().mapToInt(Integer::intValue).toArray(),
                        "step " + s + " row " + r + ": kept tokens");
                boolean finished = Arrays.stream(seen, prefix, seen.length).anyMatch(t -> t == eos);
                if (!finished) { // a finished row is fed [PAD], not a draw
                    long token = ids[r * width + prefix + s];
                    assertTrue(
                            !Float.isInfinite(sc[(int) token]),
                            "step " + s + " row " + r + ": the reference drew " + token
                                    + ", which blip4j's warpers removed");
                    drawn++;
                }
            }
        }
        assertTrue(drawn > 0, "no draws checked");
        fx.assertClose("nucleus.step_warped_scores", "nucleus.step_warped_scores", warped, 1e-4);
    }

    static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = a.get(i).asInt();
        }
        return r;
    }

    static long[] longs(JsonNode a) {
        long[] r = new long[a.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = a.get(i).asLong();
        }
        return r;
    }

    static long[][] toArray(JsonNode a) {
        long[][] r = new long[a.size()][];
        for (int i = 0; i < r.length; i++) {
            r[i] = longs(a.get(i));
        }
        return r;
    }
}

package org.blip4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.blip4j.config.BlipConfig;
import org.blip4j.engine.T;
import org.blip4j.generate.BeamSearch;
import org.blip4j.generate.CrossAttentionDecoder;
import org.blip4j.generate.GenerationConfig;
import org.blip4j.generate.Generator;
import org.blip4j.generate.Processors;
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

/**
 * Generation parity with the reference fixture: greedy, beam (with repetition penalty and min length), VQA answers,
 * beam traces step by step, and the nucleus warpers. Settings are read from the golden descriptions.
 */
class GenerationParityTest {
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
    WeightLoader.load(decoder, Checkpoints.read(fx.require("blip_decoder.hf.safetensors")), LoadPolicy.strict(), "dec");
    vqa = new BlipVqa(c);
    WeightLoader.load(vqa, Checkpoints.read(fx.require("blip_vqa.hf.safetensors")), LoadPolicy.strict(), "vqa");
    JsonNode sp = fx.manifest().path("tokenizer").path("special_ids");
    eos = sp.path("sep").asInt();
    pad = sp.path("pad").asInt();
    bos = sp.path("bos_DEC").asInt();
  }

  @AfterAll
  static void tearDown() throws Exception {
    fx.close();
  }

  static long[] captionPrefixOf(Fixture f, int bosId) {
    Fixture keep = fx;
    fx = f;
    int keepBos = bos;
    bos = bosId;
    try {
      return captionPrefix();
    } finally {
      fx = keep;
      bos = keepBos;
    }
  }

  static GenerationConfig settingsOf(Fixture f, String golden) {
    Fixture keep = fx;
    fx = f;
    try {
      return settings(golden);
    } finally {
      fx = keep;
    }
  }

  /** The caption prefix: the prompt's ids with [CLS] replaced by [DEC] and the trailing [SEP] dropped. */
  static long[] captionPrefix() {
    JsonNode ids = fx.manifest().path("tokenizer").path("prompt").path("ids");
    long[] p = new long[ids.size() - 1];
    for (int i = 0; i < p.length; i++) {
      p[i] = ids.get(i).asLong();
    }
    p[0] = bos;
    return p;
  }

  /** Generation settings parsed from a golden's description ("same as X but ..." inherits X's). */
  static GenerationConfig settings(String golden) {
    String desc = desc(golden);
    if (!desc.contains("generate(") && !desc.contains("num_beams") && !desc.contains("same as")) {
      desc = desc(golden.replaceAll("\\.ids$", ".step_logits")); // settings are described on the sibling golden
    }
    GenerationConfig base = GenerationConfig.greedy(20, 0);
    Matcher same = Pattern.compile("same as (\\S+) but").matcher(desc);
    if (same.find()) {
      base = settings(same.group(1) + ".ids");
    }
    int max = intArg(desc, "max_length", base.maxLength());
    int min = intArg(desc, "min_length", base.minLength());
    int beams = intArg(desc, "num_beams", base.numBeams());
    double rep = doubleArg(desc, "repetition_penalty", base.repetitionPenalty());
    return GenerationConfig.beam(beams, max, min).withRepetitionPenalty(rep);
  }

  static int intArg(String desc, String key, int dflt) {
    Matcher m = Pattern.compile(key + "=(?:[^,)=]*=)?(\\d+)").matcher(desc); // "max_length=prompt_len+8=12" → 12
    return m.find() ? Integer.parseInt(m.group(1)) : dflt;
  }

  static double doubleArg(String desc, String key, double dflt) {
    Matcher m = Pattern.compile(key + "=([0-9.]+)").matcher(desc);
    return m.find() ? Double.parseDouble(m.group(1).replaceAll("\\.$", "")) : dflt;
  }

  static long[][] prompts(long[] prefix, int n) {
    long[][] p = new long[n][];
    for (int i = 0; i < n; i++) {
      p[i] = prefix.clone();
    }
    return p;
  }

  long[][] caption(String golden, List<BeamSearch.StepTrace> trace) {
    GenerationConfig cfg = settings(golden);
    int n = (int) fx.golden(golden).shape()[0];
    try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
      Tensor img = decoder.encodeImage(fx.tensor("input.pixel_values").narrow(0, 0, n));
      try (CrossAttentionDecoder d = new CrossAttentionDecoder(decoder.textDecoder(), img)) {
        if (cfg.numBeams() > 1) {
          return new BeamSearch(cfg, eos, pad).run(d, prompts(captionPrefix(), n), trace);
        }
        return Generator.generate(d, prompts(captionPrefix(), n), cfg, eos, pad, null);
      }
    }
  }

  static long[] flat(long[][] a) {
    return Arrays.stream(a).flatMapToLong(Arrays::stream).toArray();
  }

  @Test
  void greedy() {
    for (String g : List.of("greedy8.ids", "greedy20.ids")) {
      fx.assertIds(g, g, flat(caption(g, null)));
    }
  }

  @Test
  void beams() {
    for (String g : List.of("beam3.ids", "beam3_rep1.5.ids", "beam3_min20.ids")) {
      if (fx.has(g)) {
        fx.assertIds(g, g, flat(caption(g, null)));
      }
    }
  }

  @Test
  void beamTraceMatchesReference() {
    List<BeamSearch.StepTrace> trace = new ArrayList<>();
    long[][] out = caption("beam3.ids", trace);
    checkTrace("beam3", trace, out);
  }

  @Test
  void vqaAnswers() {
    List<BeamSearch.StepTrace> trace = new ArrayList<>();
    GenerationConfig cfg = settings("vqa.answer_ids");
    try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
      Tensor qids = fx.tensor("vqa.question_input_ids");
      Tensor qmask = fx.tensor("vqa.question_attention_mask");
      int n = (int) qids.size(0);
      Tensor img = vqa.encodeImage(fx.tensor("input.pixel_values").narrow(0, 0, n));
      Tensor q = vqa.questionStates(img, qids, qmask);
      try (CrossAttentionDecoder d = new CrossAttentionDecoder(vqa.textDecoder(), q)) {
        long[][] out = new BeamSearch(cfg, eos, pad).run(d, prompts(new long[] {bos}, n), trace);
        fx.assertIds("vqa.answer_ids", "vqa.answer_ids", flat(out));
        checkTrace("vqa", trace, out);
      }
    }
  }

  private void checkTrace(String name, List<BeamSearch.StepTrace> trace, long[][] out) {
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
        assertArrayEquals(ints(rs.path("cand_tokens").get(b)), st.candTokens()[b], name + " step " + i + " tokens");
        assertArrayEquals(ints(rs.path("cand_beam").get(b)), st.candBeam()[b], name + " step " + i + " beams");
        for (int j = 0; j < st.candScores()[b].length; j++) {
          maxDiff = Math.max(maxDiff, Math.abs(rs.path("cand_scores").get(b).get(j).asDouble() - st.candScores()[b][j]));
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
            maxDiff = Math.max(maxDiff,
                Math.abs(fin.get(h).get(0).asDouble() - scoreOf(mine, longs(fin.get(h).get(1)))));
          }
        }
        assertEquals(e, a, name + " step " + i + " finished hypotheses");
      }
    }
    assertArrayEquals(flat(toArray(ref.path("output"))), flat(out), name + ": output");
    System.out.printf("PARITY %-58s steps identical, max|score diff| = %.3e%n", name + " beam trace", maxDiff);
    assertTrue(maxDiff <= 1e-4, name + ": trace scores differ by " + maxDiff);
  }

  private static double scoreOf(List<BeamSearch.Hypothesis> hyps, long[] tokens) {
    return hyps.stream().filter(h -> Arrays.equals(h.tokens(), tokens)).findFirst().orElseThrow().score();
  }

  @Test
  void nucleusWarpersMatchReference() {
    Tensor rawAll = fx.tensor("nucleus.step_logits"); // (steps, B, V)
    float[] flatRaw = T.toFloats(rawAll);
    float[] flatWarped = fx.golden("nucleus.step_warped_scores").toFloats();
    long[] ids = fx.golden("nucleus.ids").toLongs();
    long[] shape = fx.golden("nucleus.ids").shape();
    int steps = (int) rawAll.size(0);
    int rows = (int) rawAll.size(1);
    int v = (int) rawAll.size(2);
    int width = (int) shape[1];
    int prefix = captionPrefix().length;
    GenerationConfig cfg = GenerationConfig.nucleus(0.9, intArg(desc("nucleus.ids"), "max_length", 20),
        intArg(desc("nucleus.ids"), "min_length", 0), 0);
    JsonNode allowed = fx.manifest().path("nucleus_allowed_tokens");
    double maxDiff = 0;
    for (int s = 0; s < steps; s++) {
      for (int r = 0; r < rows; r++) {
        float[] sc = Arrays.copyOfRange(flatRaw, (s * rows + r) * v, (s * rows + r + 1) * v);
        long[] seen = Arrays.copyOfRange(ids, r * width, r * width + prefix + s);
        Processors.repetitionPenalty(sc, seen, seen.length, (float) cfg.repetitionPenalty());
        Processors.minLength(sc, prefix + s, cfg.minLength(), eos);
        Processors.topK(sc, cfg.topK());
        Processors.topP(sc, cfg.topP());
        List<Integer> kept = new ArrayList<>();
        for (int t = 0; t < v; t++) {
          float want = flatWarped[(s * rows + r) * v + t];
          assertEquals(Float.isInfinite(want), Float.isInfinite(sc[t]), "step " + s + " row " + r + " token " + t);
          if (!Float.isInfinite(want)) {
            maxDiff = Math.max(maxDiff, Math.abs(want - sc[t]));
            kept.add(t);
          }
        }
        if (allowed.size() > s) {
          assertEquals(ints(allowed.get(s).get(r)).length, kept.size());
          assertArrayEquals(ints(allowed.get(s).get(r)), kept.stream().mapToInt(Integer::intValue).toArray());
        }
      }
    }
    System.out.printf("PARITY %-58s kept sets identical, max|diff| = %.3e%n", "nucleus.step_warped_scores", maxDiff);
    assertTrue(maxDiff <= 1e-4);
  }

  static String desc(String golden) {
    return fx.manifest().path("tensors").path(golden).path("desc").asText();
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

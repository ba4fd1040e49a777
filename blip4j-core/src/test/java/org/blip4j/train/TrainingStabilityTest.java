package org.blip4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.blip4j.config.BlipConfig;
import org.blip4j.data.Batch;
import org.blip4j.engine.T;
import org.blip4j.model.BlipDecoder;
import org.blip4j.testutil.Fixture;
import org.blip4j.weights.Checkpoints;
import org.blip4j.weights.LoadPolicy;
import org.blip4j.weights.WeightLoader;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guards against Java-owned memory behind autograd's saved tensors: 2,000 training steps with a forced GC between
 * forward and backward give exactly the losses of the same run without it, and never a non-finite gradient.
 */
class TrainingStabilityTest {
  static final int STEPS = 2000;
  @TempDir Path tmp;

  Path run(Fixture fx, String name, boolean forceGc) throws Exception {
    BlipConfig c = BlipConfig.readHf(fx.require("config.json"));
    BlipDecoder m = new BlipDecoder(c);
    WeightLoader.load(m, Checkpoints.read(fx.require("blip_decoder.pth")), LoadPolicy.strict(), "decoder");
    m.requiresGrad(true);
    int prompt = fx.manifest().path("tokenizer").path("prompt").path("prompt_length").asInt();
    long bos = fx.manifest().path("tokenizer").path("special_ids").path("bos_DEC").asLong();
    Trainer.Objective<Batch> caption = Objectives.caption(m, bos, prompt);
    Trainer.Objective<Batch> objective = (b, s) -> {
      Map<String, Tensor> l = caption.losses(b, s);
      if (forceGc) {
        System.gc(); // between forward and backward: frees anything Java-owned that autograd still needs
      }
      return l;
    };
    Trainer.EpochData<Batch> three = FixtureTraining.data(fx);
    Trainer.EpochData<Batch> many = new Trainer.EpochData<>() {
      @Override
      public long batchesPerEpoch() {
        return STEPS;
      }

      @Override
      public Iterator<Batch> epoch(int epoch, long start) {
        return java.util.stream.LongStream.range(start, STEPS)
            .mapToObj(i -> three.epoch((int) (i / 3), 0)).map(it -> it.next()).iterator();
      }
    };
    Path out = tmp.resolve(name);
    new Trainer<>(m, m.namedParameters(), AdamW.blip(m.namedParameters(), 1e-4, 0.05), objective, many,
        (e, b, n) -> 1e-4, new Trainer.Options(out, 1, 99, 1, 0, 1, 0, false, false)).fit();
    return out.resolve("metrics.jsonl");
  }

  @Test
  void forcedGcBetweenForwardAndBackwardChangesNothing() throws Exception {
    try (Fixture fx = Fixture.open()) {
      List<Double> plain = TrainingResumeTest.losses(run(fx, "plain", false));
      List<Double> gc = TrainingResumeTest.losses(run(fx, "gc", true));
      assertEquals(STEPS, plain.size());
      assertTrue(plain.stream().allMatch(Double::isFinite));
      assertEquals(plain, gc, "identical losses with and without a forced GC");
      System.out.printf("STABILITY %d steps: loss %.4f -> %.4f, identical with forced GC%n", STEPS, plain.get(0),
          plain.get(STEPS - 1));
    }
  }

  @Test
  void nonFiniteLossStopsTrainingAndKeepsTheLastCheckpoint() throws Exception {
    try (Fixture fx = Fixture.open()) {
      Trainer<Batch> ok = FixtureTraining.trainer(fx, tmp.resolve("nan"), 2, false, 0);
      Path good = ok.fit();
      BlipConfig c = BlipConfig.readHf(fx.require("config.json"));
      BlipDecoder m = new BlipDecoder(c);
      m.requiresGrad(true);
      Trainer.Objective<Batch> bad = (b, s) -> Map.of("loss",
          m.encodeImage(T.floats(b.pixels(), b.pixelShape())).sum().mul(T.s(Double.NaN)));
      Trainer<Batch> t = new Trainer<>(m, m.namedParameters(), AdamW.blip(m.namedParameters(),
          1e-3, 0.05), bad, FixtureTraining.data(fx), (e, b, n) -> 1e-3,
          new Trainer.Options(tmp.resolve("nan"), 4, 1234, 1, 2, 2, 0, true, false));
      var e = assertThrows(Trainer.NonFiniteException.class, t::fit);
      assertTrue(e.getMessage().contains("non-finite loss") && e.getMessage().contains(good.getFileName().toString()),
          e.getMessage());
      assertTrue(Files.exists(good.resolve("model.safetensors")), "last good checkpoint kept");
    }
  }
}

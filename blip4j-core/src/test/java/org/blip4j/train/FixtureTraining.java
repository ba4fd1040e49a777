package org.blip4j.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.blip4j.config.BlipConfig;
import org.blip4j.data.Batch;
import org.blip4j.engine.T;
import org.blip4j.model.BlipDecoder;
import org.blip4j.testutil.Fixture;
import org.blip4j.weights.Checkpoints;
import org.blip4j.weights.LoadPolicy;
import org.blip4j.weights.WeightLoader;

/** A small caption-training run on the reference fixture, used by the resume and stability tests (also as a main). */
final class FixtureTraining {
    private FixtureTraining() {}

    /** Fixture images with their captions, one pair per batch, shuffled per epoch from (seed, epoch). */
    static Trainer.EpochData<Batch> data(Fixture fx) {
        float[] pixels = fx.golden("input.pixel_values").toFloats();
        long[] shape = fx.golden("input.pixel_values").shape();
        long[] ids = fx.golden("decoder.input_ids").toLongs();
        long[] mask = fx.golden("decoder.attention_mask").toLongs();
        int n = (int) shape[0];
        int size = (int) shape[2];
        int per = 3 * size * size;
        int len = ids.length / n;
        List<Batch> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] px = java.util.Arrays.copyOfRange(pixels, i * per, (i + 1) * per);
            long[][] id = {java.util.Arrays.copyOfRange(ids, i * len, (i + 1) * len)};
            long[][] m = {java.util.Arrays.copyOfRange(mask, i * len, (i + 1) * len)};
            items.add(new Batch(
                    new int[] {i},
                    px,
                    1,
                    size,
                    size,
                    new Batch.Text(List.of(""), id, m),
                    new long[] {i},
                    null,
                    null,
                    null,
                    null,
                    null));
        }
        return new Trainer.EpochData<>() {
            @Override
            public long batchesPerEpoch() {
                return items.size();
            }

            @Override
            public Iterator<Batch> epoch(int epoch, long start) {
                List<Batch> order = new ArrayList<>(items);
                java.util.Collections.shuffle(order, new Random(31L * epoch + 7));
                return order.subList((int) start, order.size()).iterator();
            }
        };
    }

    /** The caption objective with the fixture's prompt length and [DEC] id. */
    static Trainer.Objective<Batch> captionObjective(Fixture fx, BlipDecoder m) throws Exception {
        var tokenizer = fx.manifest().path("tokenizer");
        int prompt = tokenizer.path("prompt").path("prompt_length").asInt();
        long bos = tokenizer.path("special_ids").path("bos_DEC").asLong();
        return Objectives.caption(m, bos, prompt);
    }

    static Trainer<Batch> trainer(Fixture fx, Path out, int epochs, boolean resume, long stopAfter) throws Exception {
        return trainer(fx, out, epochs, resume, stopAfter, 0);
    }

    /** With {@code delayMillis} each step sleeps, so a test can kill the process in the middle of a run. */
    static Trainer<Batch> trainer(Fixture fx, Path out, int epochs, boolean resume, long stopAfter, long delayMillis)
            throws Exception {
        BlipConfig c = BlipConfig.readHf(fx.require("config.json"));
        BlipDecoder m = new BlipDecoder(c);
        WeightLoader.load(m, Checkpoints.read(fx.require("blip_decoder.pth")), LoadPolicy.strict(), "decoder");
        m.requiresGrad(true);
        AdamW opt = AdamW.blip(m.namedParameters(), 1e-3, 0.05);
        Trainer.Objective<Batch> caption = captionObjective(fx, m);
        Trainer.Objective<Batch> objective = delayMillis == 0
                ? caption
                : (b, s) -> {
                    try {
                        Thread.sleep(delayMillis);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return caption.losses(b, s);
                };
        return new Trainer<>(
                m,
                m.namedParameters(),
                opt,
                objective,
                data(fx),
                (epoch, batch, per) -> Schedules.cosine(epoch, epochs, 1e-3, 1e-5),
                new Trainer.Options(out, epochs, 1234, 1, 2, 2, stopAfter, resume, false));
    }

    /** args: outDir epochs resume(true|false) [delayMillisPerStep] — run in a child JVM by the resume test. */
    public static void main(String[] args) throws Exception {
        try (Fixture fx = Fixture.open()) {
            Trainer<Batch> t = trainer(
                    fx,
                    Path.of(args[0]),
                    Integer.parseInt(args[1]),
                    Boolean.parseBoolean(args[2]),
                    0,
                    args.length > 3 ? Long.parseLong(args[3]) : 0);
            t.fit();
        }
        T.s(0);
    }
}

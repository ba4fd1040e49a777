package org.blip4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.blip4j.config.BlipConfig;
import org.blip4j.data.Batch;
import org.blip4j.data.Collate;
import org.blip4j.data.NlvrDataset;
import org.blip4j.data.Pixels;
import org.blip4j.engine.T;
import org.blip4j.model.BlipNlvr;
import org.blip4j.testutil.ComparesGoldens;
import org.blip4j.testutil.Fixture;
import org.blip4j.text.BertTokenizer;
import org.blip4j.train.Objectives;
import org.blip4j.train.Trainer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * NLVR2 against the fixture's {@code nlvr/} goldens (reference {@code BLIP_NLVR}, twin cross-attention with
 * {@code merge_layer} in the layers that have it), from {@code nlvr/blip_nlvr.pth}: image embeddings, the text
 * encoder's last hidden state, logits and probabilities; then the training objective as blip4j's trainer runs it
 * (NLVR2 collate + {@link Objectives#nlvr}) — its loss and the gradient of every parameter. Skipped when the fixture
 * has no {@code nlvr/} folder.
 */
@ComparesGoldens
class NlvrParityTest {
    static final double ACT = 1e-4;
    static final double PROB = 1e-5;
    static Fixture root;
    static Fixture fx;
    static BlipConfig config;
    static Tensor left;
    static Tensor right;

    @BeforeAll
    static void open() throws Exception {
        Assumptions.assumeTrue(Fixture.hasSub(Fixture.NLVR), "fixture has no nlvr/ folder");
        root = Fixture.open();
        fx = Fixture.openSub(Fixture.NLVR);
        config = BlipConfig.readHf(fx.require("config.json"));
        JsonNode pairs = fx.manifest().path("pairs");
        Tensor pixels = root.tensor("input.pixel_values"); // (N, 3, S, S)
        left = pixels.index_select(
                0, T.longs(longs(pairs.path("left")), pairs.path("left").size())); // (B, 3, S, S)
        right = pixels.index_select(
                0, T.longs(longs(pairs.path("right")), pairs.path("right").size()));
    }

    @AfterAll
    static void close() throws Exception {
        if (fx != null) {
            fx.close();
            root.close();
        }
    }

    static long[] longs(JsonNode a) {
        assertTrue(a.isArray() && a.size() > 0, "nlvr manifest: missing array");
        long[] r = new long[a.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = a.get(i).asLong();
        }
        return r;
    }

    BlipNlvr model() throws Exception {
        return fx.load(new BlipNlvr(config), "blip_nlvr", "pth");
    }

    @Test
    void inferenceMatches() throws Exception {
        BlipNlvr m = model();
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            long b = left.size(0);
            Tensor embeds = m.visualEncoder().forward(T.cat(0, left, right)); // (2B, N, W)
            fx.assertClose("nlvr.image_embeds", embeds, ACT);
            Tensor ids = fx.tensor("nlvr.input_ids");
            Tensor mask = fx.tensor("nlvr.attention_mask");
            Tensor states = m.encoderStates(embeds.narrow(0, 0, b), embeds.narrow(0, b, b), ids, mask); // (B, L, D)
            fx.assertClose("nlvr.last_hidden_state", states, ACT);
            Tensor logits = m.logits(embeds.narrow(0, 0, b), embeds.narrow(0, b, b), ids, mask); // (B, 2)
            fx.assertClose("nlvr.logits", logits, ACT);
            fx.assertClose("nlvr.prob_true", T.softmax(logits, -1).select(1, 1), PROB);
        }
    }

    /**
     * The reference ran {@code model.train()} with every dropout and drop-path probability 0, which computes exactly the
     * eval-mode forward (BLIP_NLVR has no other train-only path); blip4j's model is run with autograd on in that mode.
     */
    @Test
    void trainingLossAndEveryGradientMatch() throws Exception {
        BlipNlvr m = model();
        m.requiresGrad(true);
        BertTokenizer tok = BertTokenizer.fromDirectory(fx.dir());
        JsonNode texts = fx.manifest().path("texts");
        long[] targets = longs(fx.manifest().path("targets"));
        int b = (int) left.size(0);
        assertEquals(b, texts.size(), "one statement per pair");
        int size = (int) left.size(2);
        float[] l = T.toFloats(left);
        float[] r = T.toFloats(right);
        int per = 3 * size * size;
        List<NlvrDataset.Sample> samples = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            samples.add(new NlvrDataset.Sample(
                    i,
                    new Pixels(size, size, Arrays.copyOfRange(l, i * per, (i + 1) * per)),
                    new Pixels(size, size, Arrays.copyOfRange(r, i * per, (i + 1) * per)),
                    texts.get(i).asText(),
                    (int) targets[i]));
        }
        Batch batch = Collate.nlvr(tok).apply(samples);
        Map<String, Tensor> losses = Objectives.nlvr(m, tok.encId()).losses(batch, new Trainer.StepInfo(0, 0, 0, 1, 0));
        Tensor loss = losses.get("loss");
        fx.assertClose("nlvr.train.loss", "nlvr.train.loss", T.toFloats(loss), ACT);
        loss.backward();

        String prefix = "nlvr.train.grad.";
        Map<String, Tensor> all = m.namedTensors();
        TreeSet<String> grads = new TreeSet<>();
        for (String k : fx.goldenNames()) {
            if (k.startsWith(prefix)) {
                grads.add(k.substring(prefix.length()));
            }
        }
        assertEquals(new TreeSet<>(m.namedParameters().keySet()), grads, "one gradient golden per parameter");
        double worst = 0;
        for (String name : grads) {
            Tensor p = all.get(name);
            assertNotNull(p, "model has no parameter " + name);
            assertTrue(p.grad().defined(), name + " has no gradient");
            worst = Math.max(worst, fx.assertClose("grad " + name, prefix + name, p.grad(), ACT));
        }
        System.out.printf("PARITY %-58s max|diff| = %.3e over %d tensors%n", "nlvr.train.grad.*", worst, grads.size());
    }
}

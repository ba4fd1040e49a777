package org.blip4j;

import java.util.ArrayList;
import java.util.List;
import org.blip4j.config.BlipConfig;
import org.blip4j.engine.T;
import org.blip4j.model.BlipDecoder;
import org.blip4j.model.BlipItm;
import org.blip4j.model.BlipVqa;
import org.blip4j.model.text.KvCache;
import org.blip4j.nn.Block;
import org.blip4j.testutil.ComparesGoldens;
import org.blip4j.testutil.Fixture;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every inference golden of the reference fixture, computed from both weight formats: the original {@code .pth}
 * (canonical names) and the Hugging Face {@code .hf.safetensors} (renamed keys).
 */
@ComparesGoldens
class ModelParityTest {
    static final double ACT = 1e-4;
    static final double PROB = 1e-5;
    static Fixture fx;
    static BlipConfig config;

    @BeforeAll
    static void open() throws Exception {
        fx = Fixture.open();
        config = BlipConfig.readHf(fx.require("config.json"));
    }

    @AfterAll
    static void close() throws Exception {
        fx.close();
    }

    static <B extends Block> B load(B model, String stem, String format) throws Exception {
        return fx.load(model, stem, format);
    }

    @ParameterizedTest
    @ValueSource(strings = {"pth", "hf"})
    void visionAndDecoder(String format) throws Exception {
        BlipDecoder m = load(new BlipDecoder(config), "blip_decoder", format);
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            Tensor pixels = fx.tensor("input.pixel_values");
            List<Tensor> trace = new ArrayList<>();
            Tensor img = m.visualEncoder().forward(pixels, trace);
            fx.assertClose(format + " vision.patch_embed", "vision.patch_embed", trace.get(0), ACT);
            for (int i = 1; i < trace.size(); i++) {
                String name = "vision.block" + (i - 1);
                fx.assertClose(format + " " + name, name, trace.get(i), ACT);
            }
            fx.assertClose(format + " vision.last_hidden_state", "vision.last_hidden_state", img, ACT);

            Tensor ids = fx.tensor("decoder.input_ids");
            Tensor mask = fx.tensor("decoder.attention_mask");
            int promptLength = fx.manifest()
                    .path("tokenizer")
                    .path("prompt")
                    .path("prompt_length")
                    .asInt();
            Tensor targets = BlipDecoder.targets(ids, mask, promptLength);
            fx.assertIds(format + " decoder.targets", "decoder.targets", T.toLongs(targets));
            fx.assertClose(format + " decoder.logits", "decoder.logits", m.logits(img, ids, mask), ACT);
            fx.assertClose(format + " decoder.loss_batch", "decoder.loss_batch", m.loss(img, ids, mask, targets), ACT);
            // text_decoder(..., labels=decoder.targets): the loss from the reference's own targets
            fx.assertClose(
                    format + " decoder.loss_check",
                    "decoder.loss_check",
                    m.loss(img, ids, mask, fx.tensor("decoder.targets")),
                    ACT);
            for (int i = 0; i < ids.size(0); i++) {
                // single pairs use their own 'longest' padding: drop trailing pads of row i
                long len = (long) T.toFloats(mask.select(0, i).sum())[0];
                Tensor idi = ids.narrow(0, i, 1).narrow(1, 0, len);
                Tensor mi = mask.narrow(0, i, 1).narrow(1, 0, len);
                Tensor ti = BlipDecoder.targets(idi, mi, promptLength);
                fx.assertClose(
                        format + " decoder.loss_pair" + i,
                        "decoder.loss_pair" + i,
                        m.loss(img.narrow(0, i, 1), idi, mi, ti),
                        ACT);
            }
            stepLogits(m, img, format, "greedy8");
            stepLogits(m, img, format, "nucleus");
        }
    }

    /**
     * Replays a generation run's ids through the KV cache and checks the raw logits of every step (for the sampled
     * run the ids are the reference's draws; rows that finished keep being fed their padding, as generate() does).
     */
    private void stepLogits(BlipDecoder m, Tensor img, String format, String run) {
        long[] shape = fx.golden(run + ".step_logits").shape(); // (steps, B, V)
        Tensor ids = fx.tensor(run + ".ids"); // (B, prefix + steps)
        long steps = shape[0];
        long prefix = ids.size(1) - steps;
        KvCache cache = m.textDecoder().newCache();
        List<Tensor> logits = new ArrayList<>();
        Tensor input = ids.narrow(1, 0, prefix);
        for (long s = 0; s < steps; s++) {
            logits.add(m.step(img, input, cache).unsqueeze(0));
            input = ids.narrow(1, prefix + s, 1);
        }
        fx.assertClose(
                format + " " + run + ".step_logits (KV cache)",
                run + ".step_logits",
                torch.cat(new org.bytedeco.pytorch.TensorVector(logits.toArray(new Tensor[0])), 0),
                ACT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"pth", "hf"})
    void itmAndItc(String format) throws Exception {
        BlipItm m = load(new BlipItm(config), "blip_itm", format);
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            Tensor img = m.encodeImage(fx.tensor("input.pixel_values")); // (Ni, N, W)
            Tensor ids = fx.tensor("itm.input_ids");
            Tensor mask = fx.tensor("itm.attention_mask");
            long ni = img.size(0);
            long nc = ids.size(0);
            fx.assertClose(
                    format + " text_encoder.text_mode.last_hidden_state",
                    "text_encoder.text_mode.last_hidden_state",
                    m.textStates(ids, mask),
                    ACT);
            fx.assertClose(
                    format + " text_encoder.text_mode.cls",
                    "text_encoder.text_mode.cls",
                    m.textStates(ids, mask).select(1, 0),
                    ACT);
            Tensor imgF = m.imageFeature(img);
            Tensor txtF = m.textFeature(ids, mask);
            fx.assertClose(format + " itc.image_feat", "itc.image_feat", imgF, PROB);
            fx.assertClose(format + " itc.text_feat", "itc.text_feat", txtF, PROB);
            fx.assertClose(format + " itc.sim", "itc.sim", imgF.matmul(txtF.t()), PROB);
            List<Tensor> rows = new ArrayList<>();
            for (long i = 0; i < ni; i++) {
                rows.add(m.itmLogits(img.narrow(0, i, 1), ids, mask).unsqueeze(0)); // one image shared by nc texts
            }
            Tensor logits = T.cat(0, rows.toArray(new Tensor[0])); // (Ni, Nc, 2)
            fx.assertClose(format + " itm.logits", "itm.logits", logits, ACT);
            fx.assertClose(
                    format + " itm.prob_match",
                    "itm.prob_match",
                    T.softmax(logits, -1).select(2, 1),
                    PROB);
            if (nc != ni) {
                System.out.println("note: " + nc + " captions for " + ni + " images");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"pth", "hf"})
    void retrieval(String format) throws Exception {
        BlipItm m = load(new BlipItm(config), "blip_retrieval", format);
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            Tensor img = m.encodeImage(fx.tensor("input.pixel_values"));
            Tensor ids = fx.tensor("itm.input_ids");
            Tensor mask = fx.tensor("itm.attention_mask");
            Tensor imgF = m.imageFeature(img);
            Tensor txtF = m.textFeature(ids, mask);
            fx.assertClose(format + " retrieval.image_feat", "retrieval.image_feat", imgF, PROB);
            fx.assertClose(format + " retrieval.text_feat", "retrieval.text_feat", txtF, PROB);
            fx.assertClose(format + " retrieval.sim", "retrieval.sim", imgF.matmul(txtF.t()), PROB);
            Tensor encIds = fx.tensor("retrieval.itm_input_ids");
            List<Tensor> rows = new ArrayList<>();
            for (long i = 0; i < img.size(0); i++) {
                rows.add(m.itmLogits(img.narrow(0, i, 1), encIds, mask)
                        .select(1, 1)
                        .unsqueeze(0));
            }
            fx.assertClose(
                    format + " retrieval.itm_score", "retrieval.itm_score", T.cat(0, rows.toArray(new Tensor[0])), ACT);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"pth", "hf"})
    void vqaQuestionStates(String format) throws Exception {
        BlipVqa m = load(new BlipVqa(config), "blip_vqa", format);
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            Tensor qids = fx.tensor("vqa.question_input_ids");
            Tensor qmask = fx.tensor("vqa.question_attention_mask");
            Tensor img = m.encodeImage(fx.tensor("input.pixel_values").narrow(0, 0, qids.size(0)));
            fx.assertClose(
                    format + " vqa.question_states", "vqa.question_states", m.questionStates(img, qids, qmask), ACT);
        }
    }
}

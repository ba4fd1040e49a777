package org.blip4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.blip4j.config.BlipConfig;
import org.blip4j.engine.T;
import org.blip4j.image.RgbImage;
import org.blip4j.io.RawTensor;
import org.blip4j.model.BlipDecoder;
import org.blip4j.testutil.Fixture;
import org.blip4j.text.BertTokenizer;
import org.blip4j.text.TextNormalizer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The captioner's likelihood of a text, the score that re-ranks retrieval candidates with a captioning model: log p of
 * every text token after [DEC] and the prompt, from the reference's own decoder logits ({@code decoder.logits}), and
 * its per-token mean as {@link Blip#captionLogProb} gives it.
 */
class CaptionLikelihoodTest {
    static Fixture fx;

    @BeforeAll
    static void open() {
        fx = Fixture.open();
    }

    @AfterAll
    static void close() throws Exception {
        fx.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"pth", "hf"})
    void theLikelihoodIsTheReferencesLogProbabilityOfEachTextToken(String format) throws Exception {
        BlipConfig config = BlipConfig.readHf(fx.require("config.json"));
        BlipDecoder m = fx.load(new BlipDecoder(config), "blip_decoder", format);
        int promptLength = fx.manifest()
                .path("tokenizer")
                .path("prompt")
                .path("prompt_length")
                .asInt();
        // expected: Σ over kept targets of log_softmax(reference logits at t)[targets[t + 1]], in double
        RawTensor logits = fx.golden("decoder.logits"); // (B, L, V)
        long[] targets = fx.golden("decoder.targets").toLongs(); // (B, L): -100 on the prompt and pads
        int b = (int) logits.shape()[0];
        int l = (int) logits.shape()[1];
        int v = (int) logits.shape()[2];
        float[] z = logits.toFloats();
        double[] expected = new double[b];
        for (int r = 0; r < b; r++) {
            for (int t = 0; t + 1 < l; t++) {
                long next = targets[r * l + t + 1];
                if (next == -100) {
                    continue;
                }
                int base = (r * l + t) * v;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < v; j++) {
                    max = Math.max(max, z[base + j]);
                }
                double sum = 0;
                for (int j = 0; j < v; j++) {
                    sum += Math.exp(z[base + j] - max);
                }
                expected[r] += z[base + (int) next] - max - Math.log(sum);
            }
        }
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            Tensor img = m.encodeImage(fx.tensor("input.pixel_values"));
            float[] got = T.toFloats(m.textLogLikelihood(
                    img, fx.tensor("decoder.input_ids"), fx.tensor("decoder.attention_mask"), promptLength));
            for (int r = 0; r < b; r++) {
                assertEquals(expected[r], got[r], 1e-3 * Math.max(1, Math.abs(expected[r])), "row " + r);
                assertTrue(expected[r] < 0, "a log-probability: " + expected[r]);
            }
        }
    }

    @Test
    void bothDirectionsGiveAPairOneScoreAndPadsAreNotScored() throws Exception {
        JsonNode preset = fx.manifest().path("preset_config");
        List<String> texts = new ArrayList<>();
        preset.path("captions").forEach(c -> texts.add(c.asText()));
        try (Blip cap = Blip.load(fx.require("blip_decoder.pth"))) {
            List<RgbImage> images = new ArrayList<>();
            for (JsonNode e : preset.path("images")) {
                images.add(cap.readImage(fx.require((e.isArray() ? e.get(0) : e).asText())));
            }
            assertTrue(images.size() > 1 && texts.size() > 1, "preset_config needs images and captions");
            double[][] byText = new double[texts.size()][];
            for (int t = 0; t < texts.size(); t++) {
                byText[t] = cap.captionLogProb(images, texts.get(t)); // one text, every image
            }
            for (int i = 0; i < images.size(); i++) {
                double[] byImage = cap.captionLogProb(images.get(i), texts); // every text, padded together
                for (int t = 0; t < texts.size(); t++) {
                    assertEquals(byText[t][i], byImage[t], 1e-4, "image " + i + ", text " + t);
                    double alone = cap.captionLogProb(images.get(i), List.of(texts.get(t)))[0];
                    assertEquals(alone, byImage[t], 1e-4, "text " + t + " alone and beside longer texts");
                    assertTrue(alone < 0, "a log-probability: " + alone);
                }
            }
            // rows go through shortest first: a list in another order gets each text's own score back
            List<String> reversed = new ArrayList<>(texts);
            java.util.Collections.reverse(reversed);
            double[] back = cap.captionLogProb(images.get(0), reversed);
            for (int t = 0; t < texts.size(); t++) {
                assertEquals(byText[t][0], back[texts.size() - 1 - t], 1e-4, "text " + t + " in reversed order");
            }
            assertEquals(0, cap.captionLogProb(images.get(0), List.of()).length);
            assertEquals(0, cap.captionLogProb(List.of(), texts.get(0)).length);

            // the per-token mean of the decoder's sum over "[DEC] a picture of " + pre_caption(text) + [SEP]
            BlipDecoder m =
                    fx.load(new BlipDecoder(BlipConfig.readHf(fx.require("config.json"))), "blip_decoder", "pth");
            BertTokenizer tok = cap.tokenizer();
            int promptLength = tok.encode(Blip.PROMPT).length - 1;
            for (int t = 0; t < texts.size(); t++) {
                long[] ids = tok.encode(Blip.PROMPT + TextNormalizer.preCaption(texts.get(t), 30));
                ids[0] = tok.bosId();
                long[] ones = new long[ids.length];
                java.util.Arrays.fill(ones, 1);
                try (PointerScope s = new PointerScope();
                        NoGradGuard g = new NoGradGuard()) {
                    Tensor px = T.floats(
                            cap.imageProcessor().processImages(List.of(images.get(0))),
                            1,
                            3,
                            cap.imageProcessor().height(),
                            cap.imageProcessor().width());
                    double sum = T.toFloats(m.textLogLikelihood(
                            m.encodeImage(px),
                            T.longs(ids, 1, ids.length),
                            T.longs(ones, 1, ids.length),
                            promptLength))[0];
                    assertEquals(sum / (ids.length - promptLength), byText[t][0], 1e-4, "text " + t);
                }
            }
        }
    }

    @Test
    void aModelWithoutADecoderSaysItCannotScoreCaptions() throws Exception {
        try (Blip itm = Blip.load(fx.require("blip_itm.pth"))) {
            RgbImage img = itm.readImage(fx.require(fx.manifest()
                    .path("preset_config")
                    .path("images")
                    .get(0)
                    .get(0)
                    .asText()));
            UnsupportedOperationException e =
                    assertThrows(UnsupportedOperationException.class, () -> itm.captionLogProb(List.of(img), "a text"));
            assertTrue(e.getMessage().contains("caption likelihood"), e.getMessage());
        }
    }
}

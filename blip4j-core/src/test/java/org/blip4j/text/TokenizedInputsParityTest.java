package org.blip4j.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.blip4j.Blip;
import org.blip4j.data.Batch;
import org.blip4j.data.TextEncoding;
import org.blip4j.testutil.ComparesGoldens;
import org.blip4j.testutil.Fixture;
import org.junit.jupiter.api.Test;

/**
 * The token ids and masks the reference fed its models ({@code *.input_ids}, {@code *.attention_mask}) against
 * blip4j's own tokenizer on the texts the manifest records, with each BLIP forward's settings ({@link TextEncoding})
 * and its {@code [CLS]} substitution ([DEC] for decoders, [ENC] for image-grounded encoders). The parity tests feed
 * these goldens to the models; this test shows blip4j would have produced the same inputs itself.
 */
@ComparesGoldens
class TokenizedInputsParityTest {

    static List<String> texts(JsonNode array, String what) {
        assertTrue(array.isArray() && array.size() > 0, "manifest has no " + what);
        List<String> out = new ArrayList<>();
        array.forEach(t -> out.add(t.asText()));
        return out;
    }

    /** Tokenises as the task's collate does, then replaces column 0 (when {@code first >= 0}). */
    static Batch.Text encode(BertTokenizer tok, List<String> texts, TextEncoding enc, long first) {
        Batch.Text t = Batch.Text.encode(tok, texts, enc);
        if (first >= 0) {
            for (long[] row : t.inputIds()) {
                row[0] = first;
            }
        }
        return t;
    }

    static void check(Fixture fx, String ids, String mask, Batch.Text t) {
        fx.assertIds(ids, ids, t.inputIds());
        fx.assertIds(mask, mask, t.attentionMask());
    }

    @Test
    void captionsQuestionsAndAnswers() throws Exception {
        try (Fixture fx = Fixture.open()) {
            BertTokenizer tok = BertTokenizer.fromDirectory(fx.dir());
            JsonNode preset = fx.manifest().path("preset_config");
            List<String> captions = texts(preset.path("captions"), "preset_config.captions");
            List<String> questions = texts(preset.path("questions"), "preset_config.questions");
            List<String> answers =
                    texts(fx.manifest().path("training").path("vqa").path("answers"), "training.vqa.answers");

            // BLIP_Decoder.forward: padding='longest', max_length=40, then [CLS] -> [DEC]
            check(
                    fx,
                    "tokens.captions_longest.input_ids",
                    "tokens.captions_longest.attention_mask",
                    encode(tok, captions, TextEncoding.CAPTION, -1));
            check(
                    fx,
                    "decoder.input_ids",
                    "decoder.attention_mask",
                    encode(tok, captions, TextEncoding.CAPTION, tok.bosId()));
            // BLIP_ITM / BLIP_Retrieval: padding='max_length', max_length=35; [ENC] first for the ITM head
            check(fx, "itm.input_ids", "itm.attention_mask", encode(tok, captions, TextEncoding.RETRIEVAL, -1));
            fx.assertIds(
                    "retrieval.itm_input_ids",
                    "retrieval.itm_input_ids",
                    encode(tok, captions, TextEncoding.RETRIEVAL, tok.encId()).inputIds());
            // BLIP_VQA.forward: questions padding='longest', max_length=35, [ENC] first; answers 'longest', [DEC] first
            check(
                    fx,
                    "vqa.question_input_ids",
                    "vqa.question_attention_mask",
                    encode(tok, questions, TextEncoding.VQA_QUESTION, tok.encId()));
            fx.assertIds(
                    "train.vqa.answer_input_ids",
                    "train.vqa.answer_input_ids",
                    encode(tok, answers, TextEncoding.VQA_ANSWER, tok.bosId()).inputIds());
            // BLIP_Pretrain.forward: padding='max_length', max_length=30 ([CLS] kept in the golden)
            check(
                    fx,
                    "train.pretrain.input_ids",
                    "train.pretrain.attention_mask",
                    encode(tok, captions, TextEncoding.PRETRAIN, -1));
        }
    }

    /** Blip's inference calls pad to the longest text: the same ids as max_length padding, minus all-pad columns. */
    @Test
    void inferencePaddingIsTheGoldenWithoutTrailingPadColumns() throws Exception {
        try (Fixture fx = Fixture.open()) {
            BertTokenizer tok = BertTokenizer.fromDirectory(fx.dir());
            List<String> captions =
                    texts(fx.manifest().path("preset_config").path("captions"), "preset_config.captions");
            BertTokenizer.Encoding e = tok.encode(captions, Blip.ITM_MAX_TOKENS, BertTokenizer.Padding.LONGEST);
            long[] gold = fx.golden("itm.input_ids").toLongs();
            int width = (int) fx.golden("itm.input_ids").shape()[1];
            int w = e.ids()[0].length;
            assertFalse(w > width, "longest padding wider than max_length");
            for (int i = 0; i < captions.size(); i++) {
                long[] row = Arrays.copyOfRange(gold, i * width, (i + 1) * width);
                assertEquals(Arrays.toString(Arrays.copyOf(row, w)), Arrays.toString(e.ids()[i]), "row " + i);
                for (int j = w; j < width; j++) {
                    assertEquals(tok.padId(), row[j], "row " + i + " column " + j + " past the longest text");
                }
            }
        }
    }

    @Test
    void nlvrStatements() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Fixture.hasSub(Fixture.NLVR), "fixture has no nlvr/ folder");
        try (Fixture fx = Fixture.openSub(Fixture.NLVR)) {
            BertTokenizer tok = BertTokenizer.fromDirectory(fx.dir());
            // BLIP_NLVR.forward: padding='longest', no truncation, [CLS] -> [ENC]
            check(
                    fx,
                    "nlvr.input_ids",
                    "nlvr.attention_mask",
                    encode(tok, texts(fx.manifest().path("texts"), "texts"), TextEncoding.NLVR, tok.encId()));
        }
    }
}

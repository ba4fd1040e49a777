package org.blip4j.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Manifest {@code tokenizer} cases (tokens, ids, decodes), special ids and prompt through {@link BertTokenizer}. */
class TokenizerParityTest {
    @TempDir
    Path tmp;

    private static JsonNode tok() throws IOException {
        return TextFixture.manifest("tokenizer");
    }

    private static List<String> vocabLines() throws IOException {
        String text = Files.readString(TextFixture.file("vocab.txt"), StandardCharsets.UTF_8);
        List<String> lines = new ArrayList<>(Arrays.asList(text.split("\r\n|\r|\n", -1)));
        if (lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        return lines;
    }

    @Test
    void casesFromVocabTxt() throws Exception {
        checkCases(BertTokenizer.fromVocab(TextFixture.file("vocab.txt")));
        checkCases(BertTokenizer.fromDirectory(TextFixture.dir()));
    }

    @Test
    void specialIds() throws Exception {
        BertTokenizer t = BertTokenizer.fromDirectory(TextFixture.dir());
        Map<String, ToIntFunction<BertTokenizer>> getters = new LinkedHashMap<>();
        getters.put("pad", BertTokenizer::padId);
        getters.put("unk", BertTokenizer::unkId);
        getters.put("cls", BertTokenizer::clsId);
        getters.put("sep", BertTokenizer::sepId);
        getters.put("mask", BertTokenizer::maskId);
        getters.put("bos_DEC", BertTokenizer::bosId);
        getters.put("enc_ENC", BertTokenizer::encId);
        getters.put("len_tokenizer", BertTokenizer::vocabSize);
        int lines = vocabLines().size();
        getters.put("vocab_txt_lines", x -> lines);
        JsonNode ids = tok().get("special_ids");
        assertTrue(ids != null && ids.size() > 0, "manifest tokenizer.special_ids missing");
        List<Executable> checks = new ArrayList<>();
        ids.fields()
                .forEachRemaining(e -> checks.add(() -> {
                    ToIntFunction<BertTokenizer> g = getters.get(e.getKey());
                    if (g == null) {
                        fail("unhandled special_ids field " + e.getKey());
                    }
                    assertEquals(e.getValue().asInt(), g.applyAsInt(t), "special_ids." + e.getKey());
                }));
        org.junit.jupiter.api.Assertions.assertAll(checks);
    }

    @Test
    void prompt() throws Exception {
        BertTokenizer t = BertTokenizer.fromDirectory(TextFixture.dir());
        JsonNode p = tok().get("prompt");
        assertTrue(p != null && p.has("text"), "manifest tokenizer.prompt missing");
        long[] ids = t.encode(p.get("text").asText());
        assertArrayEquals(longs(p.get("ids")), ids, "prompt ids");
        if (p.has("prompt_length")) { // BLIP: len(tokenizer(prompt).input_ids) - 1
            assertEquals(p.get("prompt_length").asInt(), ids.length - 1, "prompt_length");
        }
    }

    @Test
    void batchEncodingPadsAndTruncates() throws Exception {
        BertTokenizer t = BertTokenizer.fromDirectory(TextFixture.dir());
        List<String> texts = new ArrayList<>();
        List<long[]> expected = new ArrayList<>();
        for (JsonNode c : tok().get("cases")) {
            if (c.has("ids")) {
                texts.add(c.get("text").asText());
                expected.add(longs(c.get("ids")));
            }
        }
        assertTrue(!texts.isEmpty(), "no tokenizer case with ids");
        int longest = expected.stream().mapToInt(a -> a.length).max().orElseThrow();
        for (BertTokenizer.Padding padding : BertTokenizer.Padding.values()) {
            int maxLength = longest + 3;
            BertTokenizer.Encoding enc = t.encode(texts, maxLength, padding);
            int width = padding == BertTokenizer.Padding.MAX_LENGTH ? maxLength : longest;
            for (int i = 0; i < texts.size(); i++) {
                long[] e = expected.get(i);
                int len = padding == BertTokenizer.Padding.NONE ? e.length : width;
                long[] ids = Arrays.copyOf(e, len);
                Arrays.fill(ids, e.length, len, t.padId());
                long[] mask = new long[len];
                Arrays.fill(mask, 0, e.length, 1);
                assertArrayEquals(ids, enc.ids()[i], padding + " ids " + texts.get(i));
                assertArrayEquals(mask, enc.attentionMask()[i], padding + " mask " + texts.get(i));
            }
        }
        // truncation keeps [CLS] + the first maxLength - 2 pieces + [SEP]
        for (int i = 0; i < texts.size(); i++) {
            long[] e = expected.get(i);
            for (int maxLength = 2; maxLength < e.length; maxLength++) {
                long[] want = Arrays.copyOf(e, maxLength);
                want[maxLength - 1] = t.sepId();
                long[] got = t.encode(List.of(texts.get(i)), maxLength, BertTokenizer.Padding.LONGEST)
                        .ids()[0];
                assertArrayEquals(want, got, "max_length " + maxLength + " " + texts.get(i));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> t.encode(texts, 1, BertTokenizer.Padding.NONE));
    }

    @Test
    void tokenizerJsonEquivalentToVocabTxt() throws Exception {
        BertTokenizer ref = BertTokenizer.fromVocab(TextFixture.file("vocab.txt"));
        writeTokenizerJson(tmp, true);
        BertTokenizer t = BertTokenizer.fromDirectory(tmp);
        checkCases(t);
        assertEquals(ref.bosId(), t.bosId());
        assertEquals(ref.encId(), t.encId());
        assertEquals(ref.vocabSize(), t.vocabSize());
    }

    @Test
    void tokenizerJsonWithoutBlipTokensGetsThemAppended() throws Exception {
        writeTokenizerJson(tmp, false);
        BertTokenizer t = BertTokenizer.fromDirectory(tmp);
        checkCases(t);
        int n = (int) vocabLines().stream().distinct().count();
        assertEquals(n, t.bosId());
        assertEquals(n + 1, t.encId());
        assertEquals(n + 2, t.vocabSize());
    }

    @Test
    void vocabTxtWithCrLfLineEnds() throws Exception {
        Files.writeString(tmp.resolve("vocab.txt"), String.join("\r\n", vocabLines()) + "\r\n", StandardCharsets.UTF_8);
        checkCases(BertTokenizer.fromDirectory(tmp));
    }

    @Test
    void badInputsFailWithTheFileNamed() throws Exception {
        Path missing = tmp.resolve("no-such-dir");
        IOException e = assertThrows(IOException.class, () -> BertTokenizer.fromDirectory(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        e = assertThrows(IOException.class, () -> BertTokenizer.fromDirectory(tmp));
        assertTrue(e.getMessage().contains(tmp.toString()), e.getMessage());
        assertThrows(NoSuchFileException.class, () -> BertTokenizer.fromVocab(tmp.resolve("vocab.txt")));

        Path json = tmp.resolve("tokenizer.json");
        for (String bad : new String[] {
            "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0,",
            "",
            "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"[UNK]\": 0}}}",
            "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[UNK]\": \"zero\"}}}",
            "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0}}}"
        }) {
            Files.writeString(json, bad);
            e = assertThrows(IOException.class, () -> BertTokenizer.fromDirectory(tmp), bad);
            assertTrue(
                    e.getMessage().contains("tokenizer.json") || e.getMessage().contains("unk"), e.getMessage());
        }
        Files.delete(json);
        Files.write(tmp.resolve("vocab.txt"), new byte[] {'a', '\n', (byte) 0xC3, '\n'});
        e = assertThrows(IOException.class, () -> BertTokenizer.fromDirectory(tmp));
        assertTrue(e.getMessage().contains("vocab.txt"), e.getMessage());
    }

    /** tokenizer.json in Hugging Face format with the fixture's vocabulary; BLIP's tokens optionally as added tokens. */
    private static void writeTokenizerJson(Path dir, boolean withBlipTokens) throws IOException {
        JsonNode specialIds = tok().get("special_ids");
        List<String> lines = vocabLines();
        ObjectNode root = TextFixture.JSON.createObjectNode();
        ObjectNode model = root.putObject("model");
        model.put("type", "WordPiece");
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < lines.size(); i++) {
            vocab.put(lines.get(i), i);
        }
        model.put("unk_token", "[UNK]");
        model.put("continuing_subword_prefix", "##");
        model.put("max_input_chars_per_word", 100);
        ArrayNode added = root.putArray("added_tokens");
        for (String name : new String[] {"pad", "unk", "cls", "sep", "mask"}) {
            String content = lines.get(specialIds.get(name).asInt());
            addToken(added, specialIds.get(name).asInt(), content);
        }
        if (withBlipTokens) {
            addToken(added, specialIds.get("bos_DEC").asInt(), BertTokenizer.DEC);
            addToken(added, specialIds.get("enc_ENC").asInt(), BertTokenizer.ENC);
        }
        ObjectNode norm = root.putObject("normalizer");
        norm.put("type", "BertNormalizer");
        norm.put("clean_text", true);
        norm.put("handle_chinese_chars", true);
        norm.putNull("strip_accents");
        norm.put("lowercase", true);
        TextFixture.JSON
                .writerWithDefaultPrettyPrinter()
                .writeValue(dir.resolve("tokenizer.json").toFile(), root);
    }

    private static void addToken(ArrayNode added, int id, String content) {
        ObjectNode t = added.addObject();
        t.put("id", id);
        t.put("content", content);
        t.put("single_word", false);
        t.put("lstrip", false);
        t.put("rstrip", false);
        t.put("normalized", false);
        t.put("special", true);
    }

    private static void checkCases(BertTokenizer t) throws IOException {
        JsonNode cases = tok().get("cases");
        assertTrue(cases != null && cases.size() > 0, "manifest tokenizer.cases missing");
        List<Executable> checks = new ArrayList<>();
        for (JsonNode c : cases) {
            String text = c.get("text").asText();
            c.fieldNames()
                    .forEachRemaining(k -> checks.add(() -> {
                        switch (k) {
                            case "text":
                                break;
                            case "tokens":
                                List<String> want = new ArrayList<>();
                                c.get(k).forEach(x -> want.add(x.asText()));
                                assertEquals(want, t.tokenize(text), "tokens of " + text);
                                break;
                            case "ids":
                                assertArrayEquals(longs(c.get(k)), t.encode(text), "ids of " + text);
                                break;
                            case "decode_skip_special":
                                assertEquals(
                                        c.get(k).asText(),
                                        t.decode(longs(c.get("ids")), true),
                                        "decode(skip) of " + text);
                                break;
                            case "decode_keep_special":
                                assertEquals(
                                        c.get(k).asText(),
                                        t.decode(longs(c.get("ids")), false),
                                        "decode(keep) of " + text);
                                break;
                            default:
                                fail("unhandled tokenizer case field " + k + " in " + c);
                        }
                    }));
        }
        org.junit.jupiter.api.Assertions.assertAll(checks);
    }

    private static long[] longs(JsonNode a) {
        assertTrue(a != null && a.isArray(), "expected an id array");
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asLong();
        }
        return out;
    }
}

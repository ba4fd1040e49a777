package org.blip4j.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * What a tokenizer directory says: the WordPiece vocabulary, added tokens, special-token names and normaliser flags,
 * read from Hugging Face {@code tokenizer.json} or {@code vocab.txt} (+ {@code added_tokens.json}) and the optional
 * {@code tokenizer_config.json} / {@code special_tokens_map.json}.
 */
final class TokenizerFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** WordPiece vocabulary (token → id), as HF's {@code self.vocab}. */
    final Map<String, Integer> vocab = new LinkedHashMap<>();
    /** Tokens outside {@link #vocab} with their ids, as HF's {@code added_tokens_encoder}, in id order of addition. */
    final Map<String, Integer> added = new LinkedHashMap<>();
    /** Special tokens named by the files beyond the fixed roles (additional/eos tokens, {@code special: true}). */
    final Set<String> extraSpecial = new LinkedHashSet<>();
    /** The file the vocabulary came from ({@code tokenizer.json} or {@code vocab.txt}). */
    Path source;

    String unk = "[UNK]";
    String sep = "[SEP]";
    String pad = "[PAD]";
    String cls = "[CLS]";
    String mask = "[MASK]";
    boolean lowerCase = true;
    Boolean stripAccents;
    boolean chineseChars = true;
    boolean cleanText = true;
    String prefix = "##";
    int maxInputChars = 100;

    private TokenizerFiles() {}

    static TokenizerFiles fromVocab(Path vocabTxt) throws IOException {
        TokenizerFiles f = new TokenizerFiles();
        f.readVocabTxt(vocabTxt);
        return f;
    }

    static TokenizerFiles fromDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "tokenizer directory not found");
        }
        TokenizerFiles f = new TokenizerFiles();
        Path json = dir.resolve("tokenizer.json");
        Path txt = dir.resolve("vocab.txt");
        if (Files.isRegularFile(json)) {
            f.readTokenizerJson(json);
        } else if (Files.isRegularFile(txt)) {
            f.readVocabTxt(txt);
            Path addedJson = dir.resolve("added_tokens.json");
            if (Files.isRegularFile(addedJson)) {
                f.readAddedTokensJson(addedJson);
            }
        } else {
            throw new NoSuchFileException(
                    dir.toString(), null, "no tokenizer.json or vocab.txt in tokenizer directory");
        }
        // HF: tokenizer_config.json gives the init kwargs, special_tokens_map.json then overrides the token attributes.
        for (String name : new String[] {"tokenizer_config.json", "special_tokens_map.json"}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                f.readConfig(p, readJson(p));
            }
        }
        return f;
    }

    /** HF {@code load_vocab}: one token per line (universal newlines), id = line index, a later duplicate wins. */
    private void readVocabTxt(Path p) throws IOException {
        source = p;
        String text = readUtf8(p);
        int start = 0;
        int index = 0;
        int n = text.length();
        while (start < n) {
            int i = start;
            while (i < n && text.charAt(i) != '\n' && text.charAt(i) != '\r') {
                i++;
            }
            vocab.put(text.substring(start, i), index++);
            if (i < n && text.charAt(i) == '\r' && i + 1 < n && text.charAt(i + 1) == '\n') {
                i++;
            }
            start = i + 1;
        }
        if (vocab.isEmpty()) {
            throw new IOException("empty vocabulary: " + p);
        }
    }

    private void readAddedTokensJson(Path p) throws IOException {
        JsonNode root = readJson(p);
        if (!root.isObject()) {
            throw new IOException("malformed " + p + ": expected an object of token -> id");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            added.put(e.getKey(), intValue(p, e.getValue(), e.getKey()));
        }
    }

    private void readTokenizerJson(Path p) throws IOException {
        source = p;
        JsonNode root = readJson(p);
        JsonNode model = root.path("model");
        if (!model.isObject() || !"WordPiece".equals(model.path("type").asText(null))) {
            throw new IOException("malformed " + p + ": expected model.type \"WordPiece\"");
        }
        JsonNode v = model.path("vocab");
        if (!v.isObject() || v.size() == 0) {
            throw new IOException("malformed " + p + ": model.vocab must be a non-empty object of token -> id");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            vocab.put(e.getKey(), intValue(p, e.getValue(), "model.vocab." + e.getKey()));
        }
        unk = model.path("unk_token").asText(unk);
        prefix = model.path("continuing_subword_prefix").asText(prefix);
        if (model.hasNonNull("max_input_chars_per_word")) {
            maxInputChars = intValue(p, model.get("max_input_chars_per_word"), "model.max_input_chars_per_word");
        }
        JsonNode addedTokens = root.path("added_tokens");
        if (!addedTokens.isMissingNode() && !addedTokens.isNull() && !addedTokens.isArray()) {
            throw new IOException("malformed " + p + ": added_tokens must be an array");
        }
        for (JsonNode t : addedTokens) {
            if (!t.path("content").isTextual()) {
                throw new IOException("malformed " + p + ": added token without string content: " + t);
            }
            String content = t.get("content").asText();
            int id = intValue(p, t.get("id"), "added_tokens[" + content + "].id");
            Integer inVocab = vocab.get(content);
            if (inVocab == null || inVocab != id) {
                added.put(content, id);
            }
            if (t.path("special").asBoolean(false)) {
                extraSpecial.add(content);
            }
        }
        JsonNode norm = root.path("normalizer");
        if (norm.isObject()) {
            if (!"BertNormalizer".equals(norm.path("type").asText(null))) {
                throw new IOException(
                        "unsupported normalizer in " + p + ": " + norm.path("type") + " (expected BertNormalizer)");
            }
            lowerCase = norm.path("lowercase").asBoolean(true);
            stripAccents = norm.path("strip_accents").isBoolean()
                    ? norm.get("strip_accents").asBoolean()
                    : null;
            chineseChars = norm.path("handle_chinese_chars").asBoolean(true);
            cleanText = norm.path("clean_text").asBoolean(true);
        }
    }

    private void readConfig(Path p, JsonNode c) throws IOException {
        if (!c.isObject()) {
            throw new IOException("malformed " + p + ": expected a JSON object");
        }
        if (c.path("do_lower_case").isBoolean()) {
            lowerCase = c.get("do_lower_case").asBoolean();
        }
        if (c.has("strip_accents")) {
            stripAccents =
                    c.get("strip_accents").isBoolean() ? c.get("strip_accents").asBoolean() : null;
        }
        if (c.path("tokenize_chinese_chars").isBoolean()) {
            chineseChars = c.get("tokenize_chinese_chars").asBoolean();
        }
        unk = tokenName(p, c, "unk_token", unk);
        sep = tokenName(p, c, "sep_token", sep);
        pad = tokenName(p, c, "pad_token", pad);
        cls = tokenName(p, c, "cls_token", cls);
        mask = tokenName(p, c, "mask_token", mask);
        String eos = tokenName(p, c, "eos_token", null);
        if (eos != null) {
            extraSpecial.add(eos);
        }
        for (JsonNode t : c.path("additional_special_tokens")) {
            extraSpecial.add(tokenContent(p, t, "additional_special_tokens"));
        }
    }

    private static String tokenName(Path p, JsonNode c, String key, String dflt) throws IOException {
        JsonNode t = c.get(key);
        return t == null || t.isNull() ? dflt : tokenContent(p, t, key);
    }

    /** A token is written either as a string or as a serialised AddedToken {@code {"content": ...}}. */
    private static String tokenContent(Path p, JsonNode t, String key) throws IOException {
        if (t.isTextual()) {
            return t.asText();
        }
        if (t.path("content").isTextual()) {
            return t.get("content").asText();
        }
        throw new IOException("malformed " + p + ": " + key + " must be a string or {\"content\": ...}");
    }

    private static int intValue(Path p, JsonNode n, String what) throws IOException {
        if (n == null || !n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < 0) {
            throw new IOException("malformed " + p + ": " + what + " must be a non-negative integer id");
        }
        return n.asInt();
    }

    private static JsonNode readJson(Path p) throws IOException {
        try {
            JsonNode n = JSON.readTree(readUtf8(p));
            if (n == null || n.isMissingNode()) {
                throw new IOException("malformed " + p + ": empty file");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw new IOException("malformed " + p + ": " + e.getOriginalMessage(), e);
        }
    }

    /** Real tokenizer files are a few MB (bert-base-uncased's tokenizer.json: 0.7 MB); a larger one is not one. */
    static final long MAX_FILE_BYTES = 64L << 20;

    private static String readUtf8(Path p) throws IOException {
        long size = Files.size(p);
        if (size > MAX_FILE_BYTES) {
            throw new IOException(
                    p + ": " + size + " bytes is too large for a tokenizer file (at most " + MAX_FILE_BYTES + ")");
        }
        byte[] bytes = Files.readAllBytes(p);
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IOException("malformed " + p + ": not valid UTF-8", e);
        }
    }
}

package org.blip4j.text;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * BERT WordPiece tokenizer; mirrors transformers 4.15 {@code BertTokenizer} (slow, uncased) as set up by BLIP's
 * {@code init_tokenizer} (bos {@code [DEC]}, additional special token {@code [ENC]}).
 *
 * <p>Hand-written rather than bound to a native tokenizer library: no native dependency, and exact parity with the
 * slow Python tokenizer the reference models were run with (the fast one differs in corner cases).
 *
 * <p>Unicode tables are Java's (Unicode 13 in Java 17); characters whose properties changed in later Unicode versions
 * may tokenise differently from a newer Python. Special tokens overlapping one another are matched leftmost-longest.
 */
public final class BertTokenizer {
    /** BLIP's decoder start token, added as {@code bos_token}. */
    public static final String DEC = "[DEC]";
    /** BLIP's encoder token, added as the additional special token. */
    public static final String ENC = "[ENC]";

    /** How {@link #encode(List, int, Padding)} pads a batch (on the right, with {@code [PAD]} and mask 0). */
    public enum Padding {
        /** Pad to the longest sequence of the batch ({@code padding='longest'}). */
        LONGEST,
        /** Pad to {@code maxLength} ({@code padding='max_length'}). */
        MAX_LENGTH,
        /** No padding: rows keep their own lengths. */
        NONE
    }

    /** A batch of token ids and the matching attention mask (1 for tokens, 0 for padding). */
    public record Encoding(long[][] ids, long[][] attentionMask) {}

    private final Map<String, Integer> vocab;
    private final Map<Integer, String> idToToken = new HashMap<>();
    private final Map<String, Integer> added;
    private final Map<Integer, String> addedById = new HashMap<>();
    private final SpecialTokenSplitter splitter;
    private final Set<String> specialTokens;
    private final Set<Long> specialIds = new HashSet<>();
    private final BasicTokenizer basic;
    private final WordPiece wordPiece;
    private final boolean lowerCase;
    private final String unkToken;
    private final int unkId;
    private final int sepId;
    private final int padId;
    private final int clsId;
    private final int maskId;
    private final int bosId;
    private final int encId;
    private final int size;
    private final java.nio.file.Path source;

    private BertTokenizer(TokenizerFiles f) throws IOException {
        vocab = f.vocab;
        source = f.source;
        added = f.added;
        vocab.forEach((t, id) -> idToToken.put(id, t));
        Integer unk = added.containsKey(f.unk) ? added.get(f.unk) : vocab.get(f.unk);
        if (unk == null) {
            throw new IOException("vocabulary has no unk token " + f.unk);
        }
        unkId = unk;
        // HF sanitize_special_tokens, then BLIP's add_special_tokens: missing special tokens get ids len(tokenizer),
        // ...
        Set<String> specials = new LinkedHashSet<>(List.of(f.unk, f.sep, f.pad, f.cls, f.mask, DEC));
        specials.addAll(f.extraSpecial);
        specials.add(ENC);
        for (String t : specials) {
            if (!vocab.containsKey(t) && !added.containsKey(t)) {
                added.put(t, currentSize());
            }
        }
        added.forEach((t, id) -> addedById.put(id, t));
        specialTokens = Collections.unmodifiableSet(specials);
        Set<String> noSplit = new LinkedHashSet<>(specials);
        noSplit.addAll(added.keySet());
        splitter = new SpecialTokenSplitter(noSplit);
        size = currentSize();
        lowerCase = f.lowerCase;
        unkToken = f.unk;
        basic = new BasicTokenizer(f.lowerCase, f.stripAccents, f.chineseChars, f.cleanText);
        wordPiece = new WordPiece(vocab, f.unk, f.prefix, f.maxInputChars);
        for (String t : specials) {
            specialIds.add((long) tokenToId(t));
        }
        sepId = tokenToId(f.sep);
        padId = tokenToId(f.pad);
        clsId = tokenToId(f.cls);
        maskId = tokenToId(f.mask);
        bosId = tokenToId(DEC);
        encId = tokenToId(ENC);
    }

    private int currentSize() {
        int max = -1;
        for (int id : vocab.values()) {
            max = Math.max(max, id);
        }
        for (int id : added.values()) {
            max = Math.max(max, id);
        }
        // long: an id of Integer.MAX_VALUE must not wrap to a small size (the embedding-rows check then refuses it)
        return (int) Math.min(Integer.MAX_VALUE, Math.max((long) vocab.size() + added.size(), max + 1L));
    }

    /** Loads a BERT {@code vocab.txt} (one token per line) with default uncased settings. */
    public static BertTokenizer fromVocab(Path vocabTxt) throws IOException {
        return new BertTokenizer(TokenizerFiles.fromVocab(vocabTxt));
    }

    /**
     * Loads a tokenizer directory: {@code tokenizer.json} (WordPiece) if present, else {@code vocab.txt} (with
     * {@code added_tokens.json}); {@code tokenizer_config.json} and {@code special_tokens_map.json} are read when present.
     *
     * @throws IOException naming the directory or file when nothing usable is found or a file is malformed
     */
    public static BertTokenizer fromDirectory(Path dir) throws IOException {
        return new BertTokenizer(TokenizerFiles.fromDirectory(dir));
    }

    /** Splits text into word pieces and special tokens, as HF {@code tokenizer.tokenize(text)}. */
    public List<String> tokenize(String text) {
        List<String> parts = splitter.split(lowerCase ? splitter.lowerOutside(text) : text);
        List<String> out = new ArrayList<>();
        for (String part : parts) {
            if (splitter.isNoSplit(part)) {
                out.add(part);
            } else {
                for (String token : basic.tokenize(part, specialTokens)) {
                    wordPiece.tokenize(token, out);
                }
            }
        }
        return out;
    }

    /** Id of a token: added tokens first, then the vocabulary, else {@code [UNK]}. */
    public int tokenToId(String token) {
        Integer id = added.get(token);
        if (id == null) {
            id = vocab.get(token);
        }
        return id != null ? id : unkId;
    }

    /** Token of an id: added tokens first, then the vocabulary, else {@code [UNK]}. */
    public String idToToken(long id) {
        if (id < Integer.MIN_VALUE || id > Integer.MAX_VALUE) {
            return unkToken;
        }
        String t = addedById.get((int) id);
        if (t == null) {
            t = idToToken.get((int) id);
        }
        return t != null ? t : unkToken;
    }

    /** Ids of {@code tokens}. */
    public long[] convertTokensToIds(List<String> tokens) {
        long[] ids = new long[tokens.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = tokenToId(tokens.get(i));
        }
        return ids;
    }

    /** {@code [CLS] pieces [SEP]} for one text, no truncation ({@code tokenizer(text).input_ids}). */
    public long[] encode(String text) {
        return withSpecials(convertTokensToIds(tokenize(text)), Integer.MAX_VALUE);
    }

    /**
     * Batch encoding as {@code tokenizer(texts, padding=..., truncation=True, max_length=maxLength)}: each row is
     * {@code [CLS]} + the first {@code maxLength - 2} pieces + {@code [SEP]}, padded on the right with {@code [PAD]}.
     *
     * @param maxLength at least 2; {@code Integer.MAX_VALUE} for no truncation (not with {@link Padding#MAX_LENGTH})
     */
    public Encoding encode(List<String> texts, int maxLength, Padding padding) {
        if (maxLength < 2 || (padding == Padding.MAX_LENGTH && maxLength == Integer.MAX_VALUE)) {
            throw new IllegalArgumentException(
                    "maxLength must be >= 2 (and finite for MAX_LENGTH padding): " + maxLength);
        }
        long[][] rows = new long[texts.size()][];
        int longest = 0;
        for (int i = 0; i < rows.length; i++) {
            rows[i] = withSpecials(convertTokensToIds(tokenize(texts.get(i))), maxLength - 2);
            longest = Math.max(longest, rows[i].length);
        }
        long[][] ids = new long[rows.length][];
        long[][] mask = new long[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            int len = switch (padding) {
                case LONGEST -> longest;
                case MAX_LENGTH -> Math.max(maxLength, rows[i].length);
                case NONE -> rows[i].length;
            };
            ids[i] = Arrays.copyOf(rows[i], len);
            Arrays.fill(ids[i], rows[i].length, len, padId);
            mask[i] = new long[len];
            Arrays.fill(mask[i], 0, rows[i].length, 1L);
        }
        return new Encoding(ids, mask);
    }

    private long[] withSpecials(long[] pieces, int maxPieces) {
        int n = Math.min(pieces.length, maxPieces);
        long[] out = new long[n + 2];
        out[0] = clsId;
        System.arraycopy(pieces, 0, out, 1, n);
        out[n + 1] = sepId;
        return out;
    }

    /**
     * HF {@code decode(ids, skip_special_tokens=skip)} with {@code clean_up_tokenization_spaces=True}: special ids
     * (including {@code [UNK]}) are dropped when skipping; added tokens stand apart, other pieces are joined with spaces
     * and {@code " ##"} removed; then the clean-up replacements ({@code " ." -> "."}, {@code " n't" -> "n't"}, ...).
     */
    public String decode(long[] ids, boolean skipSpecialTokens) {
        List<String> subTexts = new ArrayList<>();
        List<String> current = new ArrayList<>();
        for (long id : ids) {
            if (skipSpecialTokens && specialIds.contains(id)) {
                continue;
            }
            String token = idToToken(id);
            if (added.containsKey(token)) {
                if (!current.isEmpty()) {
                    subTexts.add(joinPieces(current));
                    current.clear();
                }
                subTexts.add(token);
            } else {
                current.add(token);
            }
        }
        if (!current.isEmpty()) {
            subTexts.add(joinPieces(current));
        }
        return cleanUpTokenization(String.join(" ", subTexts));
    }

    private static String joinPieces(List<String> pieces) {
        return PyText.strip(String.join(" ", pieces).replace(" ##", ""));
    }

    /** HF {@code clean_up_tokenization}. */
    static String cleanUpTokenization(String s) {
        return s.replace(" .", ".")
                .replace(" ?", "?")
                .replace(" !", "!")
                .replace(" ,", ",")
                .replace(" ' ", "'")
                .replace(" n't", "n't")
                .replace(" 'm", "'m")
                .replace(" 's", "'s")
                .replace(" 've", "'ve")
                .replace(" 're", "'re");
    }

    /** {@code [DEC]}: BLIP's decoder start (bos) token id. */
    public int bosId() {
        return bosId;
    }

    /** {@code [ENC]}: BLIP's encoder token id ({@code enc_token_id}). */
    public int encId() {
        return encId;
    }

    public int clsId() {
        return clsId;
    }

    public int sepId() {
        return sepId;
    }

    public int padId() {
        return padId;
    }

    public int unkId() {
        return unkId;
    }

    public int maskId() {
        return maskId;
    }

    /** Number of ids, {@code len(tokenizer)} in HF (vocabulary plus added tokens). */
    public int vocabSize() {
        return size;
    }

    /** The file the vocabulary was read from ({@code tokenizer.json} or {@code vocab.txt}). */
    public java.nio.file.Path source() {
        return source;
    }

    /** Ids of all special tokens (HF {@code all_special_ids}), dropped by {@code decode(ids, true)}. */
    public Set<Long> specialIds() {
        return Collections.unmodifiableSet(specialIds);
    }

    /** Whether text outside special tokens is lower-cased ({@code do_lower_case}). */
    public boolean lowerCase() {
        return lowerCase;
    }
}

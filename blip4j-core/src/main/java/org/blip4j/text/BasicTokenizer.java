package org.blip4j.text;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Pre-tokenizer before WordPiece; mirrors transformers 4.15 {@code BasicTokenizer} (cleaning, CJK spacing, whitespace
 * split, lower-casing, accent stripping, punctuation split).
 */
final class BasicTokenizer {
    private final boolean lowerCase;
    /** {@code null}: strip accents exactly when lower-casing (HF's {@code strip_accents=None}). */
    private final Boolean stripAccents;

    private final boolean chineseChars;
    private final boolean cleanText;

    BasicTokenizer(boolean lowerCase, Boolean stripAccents, boolean chineseChars, boolean cleanText) {
        this.lowerCase = lowerCase;
        this.stripAccents = stripAccents;
        this.chineseChars = chineseChars;
        this.cleanText = cleanText;
    }

    /** Splits {@code text} into basic tokens; tokens in {@code neverSplit} are kept as they are. */
    List<String> tokenize(String text, Set<String> neverSplit) {
        StringBuilder b = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cleanText) {
                if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
                    continue;
                }
                if (isWhitespace(cp)) {
                    b.append(' ');
                    continue;
                }
            }
            if (chineseChars && isChinese(cp)) {
                b.append(' ').appendCodePoint(cp).append(' ');
            } else {
                b.appendCodePoint(cp);
            }
        }
        List<String> split = new ArrayList<>();
        for (String token : PyText.split(b.toString())) {
            if (!neverSplit.contains(token)) {
                if (lowerCase) {
                    token = PyText.lower(token);
                    if (!Boolean.FALSE.equals(stripAccents)) {
                        token = stripAccents(token);
                    }
                } else if (Boolean.TRUE.equals(stripAccents)) {
                    token = stripAccents(token);
                }
            }
            splitOnPunctuation(token, neverSplit, split);
        }
        return PyText.split(String.join(" ", split));
    }

    private static String stripAccents(String token) {
        String nfd = Normalizer.normalize(token, Normalizer.Form.NFD);
        StringBuilder b = new StringBuilder(nfd.length());
        nfd.codePoints()
                .filter(cp -> Character.getType(cp) != Character.NON_SPACING_MARK)
                .forEach(b::appendCodePoint);
        return b.toString();
    }

    private static void splitOnPunctuation(String token, Set<String> neverSplit, List<String> out) {
        if (neverSplit.contains(token)) {
            out.add(token);
            return;
        }
        int start = -1;
        for (int i = 0; i < token.length(); ) {
            int cp = token.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (isPunctuation(cp)) {
                if (start >= 0) {
                    out.add(token.substring(start, i));
                    start = -1;
                }
                out.add(token.substring(i, next));
            } else if (start < 0) {
                start = i;
            }
            i = next;
        }
        if (start >= 0) {
            out.add(token.substring(start));
        }
    }

    /** HF {@code _is_whitespace}: space, \t, \n, \r or category Zs. */
    static boolean isWhitespace(int cp) {
        return cp == ' '
                || cp == '\t'
                || cp == '\n'
                || cp == '\r'
                || Character.getType(cp) == Character.SPACE_SEPARATOR;
    }

    /** HF {@code _is_control}: category C* except \t, \n, \r. */
    static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        switch (Character.getType(cp)) {
            case Character.CONTROL:
            case Character.FORMAT:
            case Character.SURROGATE:
            case Character.PRIVATE_USE:
            case Character.UNASSIGNED:
                return true;
            default:
                return false;
        }
    }

    /** HF {@code _is_punctuation}: ASCII 33–47, 58–64, 91–96, 123–126, or category P*. */
    static boolean isPunctuation(int cp) {
        if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
            return true;
        }
        switch (Character.getType(cp)) {
            case Character.CONNECTOR_PUNCTUATION:
            case Character.DASH_PUNCTUATION:
            case Character.START_PUNCTUATION:
            case Character.END_PUNCTUATION:
            case Character.INITIAL_QUOTE_PUNCTUATION:
            case Character.FINAL_QUOTE_PUNCTUATION:
            case Character.OTHER_PUNCTUATION:
                return true;
            default:
                return false;
        }
    }

    /** HF {@code _is_chinese_char}: the CJK Unified Ideographs blocks (not Hiragana, Katakana or Hangul). */
    static boolean isChinese(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF)
                || (cp >= 0x3400 && cp <= 0x4DBF)
                || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F)
                || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B820 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}

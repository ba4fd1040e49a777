package org.blip4j.text;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Cuts text around tokens that are never split (special and added tokens); mirrors the added-token handling of
 * transformers 4.15 {@code PreTrainedTokenizer.tokenize} (lower-casing outside them, trie split, whitespace next to
 * them stripped).
 */
final class SpecialTokenSplitter {
    /** Sorted as HF's {@code unique_no_split_tokens}, which is also the regex alternation order when lower-casing. */
    private final List<String> sorted;

    private final Set<String> noSplit;

    SpecialTokenSplitter(Set<String> tokens) {
        TreeSet<String> s = new TreeSet<>(tokens);
        s.remove("");
        sorted = List.copyOf(s);
        noSplit = Set.copyOf(s);
    }

    boolean isNoSplit(String s) {
        return noSplit.contains(s);
    }

    /**
     * Non-empty parts of {@code text}: no-split tokens on their own, the text between them with whitespace next to a
     * no-split token stripped (HF's default for tokens that are not {@code AddedToken}s).
     */
    List<String> split(String text) {
        List<String> parts = cut(text);
        for (int i = 0; i < parts.size(); i++) {
            if (noSplit.contains(parts.get(i))) {
                if (i + 1 < parts.size() && !parts.get(i + 1).isEmpty()) {
                    parts.set(i + 1, PyText.lstrip(parts.get(i + 1)));
                }
                if (i > 0 && !parts.get(i - 1).isEmpty()) {
                    parts.set(i - 1, PyText.rstrip(parts.get(i - 1)));
                }
            }
        }
        parts.removeIf(String::isEmpty);
        return parts;
    }

    /** HF's regex pass {@code (special|...)|(.+?)}: lower-cases one code point at a time, keeping no-split tokens. */
    String lowerOutside(String text) {
        StringBuilder b = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); ) {
            String tok = null;
            for (String t : sorted) {
                if (text.startsWith(t, i)) {
                    tok = t;
                    break;
                }
            }
            if (tok != null) {
                b.append(tok);
                i += tok.length();
            } else {
                int cp = text.codePointAt(i);
                PyText.appendLower(b, cp, false);
                i += Character.charCount(cp);
            }
        }
        return b.toString();
    }

    /** Cuts text around no-split tokens (leftmost, longest match first); no empty parts. */
    private List<String> cut(String text) {
        List<String> parts = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < text.length(); ) {
            String tok = null;
            for (String t : sorted) {
                if (text.startsWith(t, i) && (tok == null || t.length() > tok.length())) {
                    tok = t;
                }
            }
            if (tok == null) {
                i += Character.charCount(text.codePointAt(i));
                continue;
            }
            if (i > start) {
                parts.add(text.substring(start, i));
            }
            parts.add(tok);
            i += tok.length();
            start = i;
        }
        if (start < text.length()) {
            parts.add(text.substring(start));
        }
        return parts;
    }
}

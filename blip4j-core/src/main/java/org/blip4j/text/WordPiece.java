package org.blip4j.text;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Greedy longest-match-first sub-word splitter; mirrors transformers 4.15 {@code WordpieceTokenizer}. */
final class WordPiece {
    private final Map<String, Integer> vocab;
    private final String unkToken;
    private final String prefix;
    private final int maxInputChars;

    WordPiece(Map<String, Integer> vocab, String unkToken, String prefix, int maxInputChars) {
        this.vocab = vocab;
        this.unkToken = unkToken;
        this.prefix = prefix;
        this.maxInputChars = maxInputChars;
    }

    /** Appends the pieces of every whitespace-separated word of {@code text} to {@code out}. */
    void tokenize(String text, List<String> out) {
        for (String word : PyText.split(text)) {
            int[] cps = word.codePoints().toArray();
            if (cps.length > maxInputChars) {
                out.add(unkToken);
                continue;
            }
            List<String> pieces = new ArrayList<>();
            int start = 0;
            while (start < cps.length) {
                String match = null;
                int end = cps.length;
                for (; end > start; end--) {
                    String sub = new String(cps, start, end - start);
                    if (start > 0) {
                        sub = prefix + sub;
                    }
                    if (vocab.containsKey(sub)) {
                        match = sub;
                        break;
                    }
                }
                if (match == null) {
                    pieces = null;
                    break;
                }
                pieces.add(match);
                start = end;
            }
            if (pieces == null) {
                out.add(unkToken);
            } else {
                out.addAll(pieces);
            }
        }
    }
}

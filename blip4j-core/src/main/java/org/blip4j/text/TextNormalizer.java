package org.blip4j.text;

/**
 * Caption and question clean-up; mirrors {@code pre_caption} and {@code pre_question} of BLIP's {@code data/utils.py}
 * with Python {@code str}/{@code re} semantics (full Unicode {@code lower()}, Unicode-aware {@code \s}).
 */
public final class TextNormalizer {
    /** BLIP's default {@code max_words} / {@code max_ques_words}. */
    public static final int DEFAULT_MAX_WORDS = 50;

    /** The characters BLIP's regex {@code ([.!\"()*#:;~])} matches. */
    private static final String PUNCT = ".!\"()*#:;~";

    private TextNormalizer() {}

    /** {@code pre_caption(caption, 50)}. */
    public static String preCaption(String caption) {
        return preCaption(caption, DEFAULT_MAX_WORDS);
    }

    /**
     * {@code pre_caption(caption, maxWords)}: lower-case; each of {@code .!"()*#:;~} becomes a space; runs of two or more
     * whitespace characters become one space; {@code rstrip('\n')}; {@code strip(' ')}; keep the first {@code maxWords}
     * pieces of {@code split(' ')} when there are more.
     */
    public static String preCaption(String caption, int maxWords) {
        String s = replacePunct(PyText.lower(caption), " ");
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (!PyText.isSpace(cp)) {
                b.appendCodePoint(cp);
                i += Character.charCount(cp);
                continue;
            }
            int j = i;
            int run = 0;
            while (j < s.length() && PyText.isSpace(s.codePointAt(j))) {
                j += Character.charCount(s.codePointAt(j));
                run++;
            }
            if (run >= 2) {
                b.append(' ');
            } else {
                b.append(s, i, j);
            }
            i = j;
        }
        s = strip(rstrip(b.toString(), '\n'), ' ');
        return truncate(s, maxWords);
    }

    /** {@code pre_question(question, 50)}. */
    public static String preQuestion(String question) {
        return preQuestion(question, DEFAULT_MAX_WORDS);
    }

    /**
     * {@code pre_question(question, maxWords)}: lower-case; {@code .!"()*#:;~} deleted; {@code rstrip(' ')}; keep the
     * first {@code maxWords} pieces of {@code split(' ')} (empty pieces count) when there are more.
     */
    public static String preQuestion(String question, int maxWords) {
        return truncate(rstrip(replacePunct(PyText.lower(question), ""), ' '), maxWords);
    }

    private static String replacePunct(String s, String replacement) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (PUNCT.indexOf(c) >= 0) {
                b.append(replacement);
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** {@code words = s.split(' '); if len(words) > maxWords: s = ' '.join(words[:maxWords])}. */
    private static String truncate(String s, int maxWords) {
        if (maxWords < 0) {
            throw new IllegalArgumentException("maxWords must be >= 0: " + maxWords);
        }
        String[] words = s.split(" ", -1);
        if (words.length <= maxWords) {
            return s;
        }
        return String.join(" ", java.util.Arrays.asList(words).subList(0, maxWords));
    }

    private static String rstrip(String s, char c) {
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == c) {
            end--;
        }
        return s.substring(0, end);
    }

    private static String strip(String s, char c) {
        int start = 0;
        while (start < s.length() && s.charAt(start) == c) {
            start++;
        }
        return rstrip(s.substring(start), c);
    }
}

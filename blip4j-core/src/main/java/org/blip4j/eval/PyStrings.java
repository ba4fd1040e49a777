package org.blip4j.eval;

import java.util.ArrayList;
import java.util.List;

/** The few Python 3 {@code str} operations the reference metric scripts rely on: {@code split()}, {@code strip()}. */
final class PyStrings {
    private PyStrings() {}

    /** Python {@code str.isspace()} for one code point: bidi class WS, B or S, or category Zs. */
    static boolean isSpace(int cp) {
        return Character.isWhitespace(cp) || Character.isSpaceChar(cp) || cp == 0x85;
    }

    /** Python {@code s.split()}: runs of whitespace separate, leading and trailing whitespace ignored. */
    static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (isSpace(cp)) {
                if (start >= 0) {
                    out.add(s.substring(start, i));
                    start = -1;
                }
            } else if (start < 0) {
                start = i;
            }
            i += Character.charCount(cp);
        }
        if (start >= 0) {
            out.add(s.substring(start));
        }
        return out;
    }

    /** Python {@code s.split(" ")}: every single space separates, empty pieces kept ({@code "".split(" ") == ['']}). */
    static String[] splitOnSpace(String s) {
        return s.split(" ", -1);
    }

    /** Python {@code s.strip()}. */
    static String strip(String s) {
        int begin = 0;
        int end = s.length();
        while (begin < end && isSpace(s.codePointAt(begin))) {
            begin += Character.charCount(s.codePointAt(begin));
        }
        while (end > begin && isSpace(s.codePointBefore(end))) {
            end -= Character.charCount(s.codePointBefore(end));
        }
        return s.substring(begin, end);
    }
}

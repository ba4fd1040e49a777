package org.blip4j.eval;

import java.util.List;
import org.blip4j.text.PyText;

/** The few Python 3 {@code str} operations the reference metric scripts rely on: {@code split()}, {@code strip()}. */
final class PyStrings {
    private PyStrings() {}

    /** Python {@code str.isspace()} for one code point ({@link PyText#isSpace}). */
    static boolean isSpace(int cp) {
        return PyText.isSpace(cp);
    }

    /** Python {@code s.split()}: runs of whitespace separate, leading and trailing whitespace ignored. */
    static List<String> split(String s) {
        return PyText.split(s);
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

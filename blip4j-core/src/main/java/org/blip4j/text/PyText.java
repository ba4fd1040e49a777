package org.blip4j.text;

import java.util.ArrayList;
import java.util.List;

/**
 * Python 3 {@code str} semantics that Java's own string methods do not reproduce: {@code isspace()}, {@code lower()}
 * (full Unicode lower-casing with Python's Final_Sigma rule, not Java's word-boundary one), {@code strip()} and
 * {@code split()} without arguments. All functions work on code points, as Python strings do.
 */
final class PyText {
    private PyText() {}

    /** Python {@code str.isspace()} for one code point: bidi class WS, B or S, or category Zs. */
    static boolean isSpace(int cp) {
        return Character.isWhitespace(cp) || Character.isSpaceChar(cp) || cp == 0x85;
    }

    /** Python {@code str.lower()}: full lower-case mapping, U+0130 to "i\u0307", Σ to ς in the Final_Sigma context. */
    static String lower(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            appendLower(out, cp, cp == 0x3A3 && isFinalSigma(s, i));
            i += Character.charCount(cp);
        }
        return out.toString();
    }

    /** Python {@code c.lower()} of one code point on its own (no Final_Sigma context). */
    static void appendLower(StringBuilder out, int cp, boolean finalSigma) {
        if (cp == 0x130) {
            out.append('i').append('\u0307');
        } else if (finalSigma) {
            out.append('\u03C2');
        } else {
            out.appendCodePoint(Character.toLowerCase(cp));
        }
    }

    /** Final_Sigma: cased (case-ignorable)* Σ not followed by (case-ignorable)* cased; as CPython's handle_capital_sigma. */
    private static boolean isFinalSigma(String s, int index) {
        int j = index;
        int c = -1;
        while (j > 0) {
            c = s.codePointBefore(j);
            j -= Character.charCount(c);
            if (!isCaseIgnorable(c)) {
                break;
            }
            c = -1;
        }
        if (c < 0 || !isCased(c)) {
            return false;
        }
        for (j = index + 1; j < s.length(); ) {
            c = s.codePointAt(j);
            if (!isCaseIgnorable(c)) {
                return !isCased(c);
            }
            j += Character.charCount(c);
        }
        return true;
    }

    /** Unicode property Cased: Lowercase, Uppercase (both including Other_*) or Lt. */
    static boolean isCased(int cp) {
        return Character.isLowerCase(cp) || Character.isUpperCase(cp) || Character.isTitleCase(cp);
    }

    /** Unicode property Case_Ignorable: Mn, Me, Cf, Lm, Sk, or Word_Break MidLetter/MidNumLet/Single_Quote. */
    static boolean isCaseIgnorable(int cp) {
        switch (Character.getType(cp)) {
            case Character.NON_SPACING_MARK:
            case Character.ENCLOSING_MARK:
            case Character.FORMAT:
            case Character.MODIFIER_LETTER:
            case Character.MODIFIER_SYMBOL:
                return true;
            default:
                break;
        }
        switch (cp) {
            case 0x27:
            case 0x2E:
            case 0x3A:
            case 0xB7:
            case 0x387:
            case 0x55F:
            case 0x5F4:
            case 0x2018:
            case 0x2019:
            case 0x2024:
            case 0x2027:
            case 0xFE13:
            case 0xFE52:
            case 0xFE55:
            case 0xFF07:
            case 0xFF0E:
            case 0xFF1A:
                return true;
            default:
                return false;
        }
    }

    /** Python {@code s.strip()} (whitespace as {@link #isSpace}). */
    static String strip(String s) {
        return rstrip(lstrip(s));
    }

    /** Python {@code s.lstrip()}. */
    static String lstrip(String s) {
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            if (!isSpace(cp)) {
                break;
            }
            i += Character.charCount(cp);
        }
        return s.substring(i);
    }

    /** Python {@code s.rstrip()}. */
    static String rstrip(String s) {
        int i = s.length();
        while (i > 0) {
            int cp = s.codePointBefore(i);
            if (!isSpace(cp)) {
                break;
            }
            i -= Character.charCount(cp);
        }
        return s.substring(0, i);
    }

    /** Python {@code s.split()}: runs of whitespace separate, no empty pieces. */
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
}

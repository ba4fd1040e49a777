package org.blip4j.eval;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.blip4j.eval.PtbRules.Rule;

/** The token actions of CoreNLP 3.4.1's {@code PTBLexer.flex} (quote, bracket, currency, fraction normalisation). */
final class PtbActions {
    private static final Pattern AMP = Pattern.compile("(?i:&amp;)");

    private PtbActions() {}

    /** Runs one rule's action on its matched text, adds the token (if any) and returns how many chars were consumed. */
    static int apply(Rule rule, String text, List<String> tokens) {
        int consumed = text.length();
        String token;
        switch (rule.act()) {
            case KEEP -> token = text;
            case SOFT_HYPHENS -> token = removeSoftHyphens(text);
            case PUSHBACK -> {
                consumed = text.length() - Integer.parseInt(rule.arg());
                token = text.substring(0, consumed);
            }
            case NBSP -> token = text.replace(' ', '\u00A0');
            case CONST -> token = rule.arg();
            case AMP -> token = AMP.matcher(text).replaceAll("&");
            case QUOTE_LEFT -> token = latexQuotes(text, true);
            case QUOTE_RIGHT -> token = latexQuotes(text, false);
            case HYPHENS -> token = text.length() >= 3 && text.length() <= 4 ? "--" : text;
            case FRACTION ->
                token = text.replace("\u00BC", "1/4")
                        .replace("\u00BD", "1/2")
                        .replace("\u00BE", "3/4")
                        .replace("\u2153", "1/3")
                        .replace("\u2154", "2/3");
            case CURRENCY ->
                token = text.replace("\u00A2", "cents")
                        .replace("\u00A3", "#")
                        .replaceAll("[\u0080\u00A4\u20A0\u20AC]", "\\$");
            case PHONE -> token = parens(text.replace(' ', '\u00A0'));
            case PARENS -> token = parens(text);
            case ACRONYM -> {
                // "I." before a sentence starter: the letter alone, the period next; longer acronyms keep the period
                // and the
                // period is lexed again as the sentence end.
                consumed = text.length() - 1;
                token = text.length() == 2 ? text.substring(0, 1) : text;
            }
            case ABBREV_REPEAT -> {
                consumed = text.length() - 1;
                token = text;
            }
            case SKIP -> token = null;
            default -> throw new IllegalStateException(rule.act().toString());
        }
        if (token != null) {
            tokens.add(token.toLowerCase(Locale.ENGLISH));
        }
        return consumed;
    }

    private static String parens(String s) {
        return s.replace("(", "-LRB-").replace(")", "-RRB-");
    }

    /** The lexer's removal of soft hyphens (U+00AD); a token of soft hyphens only becomes "-". */
    private static String removeSoftHyphens(String s) {
        if (s.indexOf('\u00AD') < 0) {
            return s;
        }
        String out = s.replace("\u00AD", "");
        return out.isEmpty() ? "-" : out;
    }

    /** The lexer's LaTeX quote mapping; ASCII quotes become opening quotes when {@code probablyLeft}. */
    private static String latexQuotes(String s, boolean probablyLeft) {
        String out = s.replace("&apos;", "'").replace("&quot;", "\"");
        out = probablyLeft ? out.replace("\"", "``").replace("'", "`") : out.replace("\"", "''");
        StringBuilder b = new StringBuilder(out.length() + 2);
        for (int i = 0; i < out.length(); i++) {
            char ch = out.charAt(i);
            switch (ch) {
                case '\u0091', '\u2018', '\u201B', '\u2039' -> b.append('`');
                case '\u0092', '\u2019', '\u203A' -> b.append('\'');
                case '\u0093', '\u201C', '\u00AB' -> b.append("``");
                case '\u0094', '\u201D', '\u00BB' -> b.append("''");
                default -> b.append(ch);
            }
        }
        return b.toString();
    }
}

package org.blip4j.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.blip4j.eval.PtbRules.Rule;

/**
 * Caption tokenizer of pycocoevalcap's {@code tokenizer/ptbtokenizer.py}: Stanford CoreNLP 3.4.1's
 * {@code PTBTokenizer -preserveLines -lowerCase} re-implemented in Java, followed by the removal of the tokens in
 * {@link #PUNCTUATIONS}.
 *
 * <p>The lexer rules and their defaults are those of {@code PTBLexer.flex} at CoreNLP tag {@code v3.4.1}
 * ({@link PtbRules}): JFlex longest match with rule order breaking ties, trailing context counted in the match length,
 * {@code americanize} and {@code escapeForwardSlashAsterisk} off, LaTeX quotes, PTB ellipsis and dashes, bracket and
 * currency normalisation on. This gives lower-casing; punctuation split off; clitics {@code 's 'm 'd 're 've 'll n't}
 * split ({@code don't} → {@code do n't}); {@code cannot gonna gotta wanna lemme gimme} split; quotes to {@code ``}
 * and {@code ''}; {@code ( ) [ ] { }} to {@code -LRB- -RRB- -LSB- -RSB- -LCB- -RCB-}; hyphenated words, numbers
 * such as {@code 3.5}, {@code 1,000}, {@code 10:30}, fractions, {@code a/b}, URLs and e-mail addresses kept whole;
 * {@code ...} (and {@code …}) one token; known abbreviations and letter acronyms keep their period ({@code u.s.},
 * {@code st.}, {@code etc.}).
 *
 * <p>Faithful quirks worth knowing: because {@code -lowerCase} lower-cases <em>before</em> pycocoevalcap filters,
 * brackets survive as {@code -lrb-}/{@code -rrb-} (the upper-case entries of {@link #PUNCTUATIONS} never match);
 * runs such as {@code !!} or {@code ?!} are single tokens that are not filtered either; a fraction after a number
 * ({@code 5 1/2}) is one token with a no-break space inside.
 *
 * <p>Checked against the real lexer (built from the v3.4.1 sources, outside this project) on 140,000 synthetic lines
 * of caption words, abbreviations, clitics, numbers, URLs, quotes, symbols and random ASCII punctuation: identical
 * output. Known differences: letters and digits are those of the running JDK's Unicode version, while the 2014 lexer
 * used an older one, so characters whose Unicode category changed since (e.g. recently added Lao or Cyrillic
 * letters) can be lexed differently; line separators other than {@code \n} inside a caption are treated as spaces
 * (the real pipeline would split the caption and misalign its output). {@link #tokenize(String)} treats its caption
 * as a whole input; {@link #tokenize(Map)} joins the captions into one stream, as pycocoevalcap does, so that the
 * one rule whose look-ahead crosses a line end (a one-letter acronym such as "b." before a capitalised sentence
 * starter) sees the same context, up to a few hundred characters ahead.
 */
public final class PtbTokenizer {
    /** pycocoevalcap's {@code PUNCTUATIONS}: tokens removed after tokenisation (compared after lower-casing). */
    public static final List<String> PUNCTUATIONS = List.of(
            "''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-", ".", "?", "!", ",", ":", "-", "--", "...", ";");

    private static final Set<String> PUNCTUATION_SET = Set.copyOf(PUNCTUATIONS);
    /** Any "word." that one of the abbreviation or acronym rules could match. */
    private static final Pattern ABBREVIATION = Pattern.compile("(?:" + PtbRules.ABBREV1 + "|" + PtbRules.ABBREV4
            + "\\.|(?i:ca|figs?|prop|nos?|art|bldg|pp|op)\\.|(?:(?i:pt)[eyEY]|(?i:co))\\.)");
    /** Per-thread matchers for every rule pattern (a Matcher is cheap to reset, not to create). */
    private static final ThreadLocal<Matcher[][]> MATCHERS = ThreadLocal.withInitial(() -> {
        List<Rule> rules = PtbRules.RULES;
        Matcher[][] m = new Matcher[rules.size()][];
        for (int r = 0; r < m.length; r++) {
            Pattern[] ps = rules.get(r).patterns();
            m[r] = new Matcher[ps.length];
            for (int p = 0; p < ps.length; p++) {
                m[r][p] = ps[p].matcher("").useTransparentBounds(true).useAnchoringBounds(false);
            }
        }
        return m;
    });
    /** How much of the following lines the look-ahead sees (the lexer's trailing contexts need a few characters). */
    private static final int LOOKAHEAD = 256;
    /** Words the lexer splits in two ({@code can not}, {@code gon na}, ...). */
    private static final Set<String> SPLIT_WORDS = Set.of("cannot", "gonna", "gotta", "lemme", "gimme", "wanna");

    private PtbTokenizer() {}

    /**
     * pycocoevalcap's tokenisation of one caption, as if it were the only caption in the tokenizer's input: the
     * lower-cased PTB tokens (with {@code \n} replaced by a space) minus {@link #PUNCTUATIONS}, joined by single spaces.
     */
    public static String tokenize(String caption) {
        return filter(ptbTokens(caption, null, true));
    }

    /**
     * pycocoevalcap's {@code PTBTokenizer.tokenize}: every caption tokenized as by {@link #tokenize(String)}, keys and
     * order kept; the captions form one input stream in map order (lines joined by {@code \n}), as they do for the
     * Java tokenizer there, so the little lexer context that crosses a line end is the same.
     */
    public static Map<String, List<String>> tokenize(Map<String, List<String>> captionsPerImage) {
        List<String> all = new ArrayList<>();
        captionsPerImage.values().forEach(all::addAll);
        Map<String, List<String>> out = new LinkedHashMap<>();
        int index = 0;
        for (Map.Entry<String, List<String>> e : captionsPerImage.entrySet()) {
            List<String> tokenized = new ArrayList<>(e.getValue().size());
            for (String caption : e.getValue()) {
                String following = null;
                for (int j = index + 1; j < all.size() && (following == null || following.length() < LOOKAHEAD); j++) {
                    following = following == null ? all.get(j) : following + "\n" + all.get(j);
                }
                tokenized.add(filter(ptbTokens(caption, following, true)));
                index++;
            }
            out.put(e.getKey(), tokenized);
        }
        return out;
    }

    /** The lower-cased PTB tokens of one line of text, punctuation included (what the Java tokenizer prints). */
    public static List<String> ptbTokens(String text) {
        return ptbTokens(text, null, true);
    }

    private static String filter(List<String> tokens) {
        StringBuilder b = new StringBuilder();
        for (String token : tokens) {
            if (!PUNCTUATION_SET.contains(token)) {
                b.append(b.length() == 0 ? "" : " ").append(token);
            }
        }
        return b.toString();
    }

    /**
     * Lexes {@code text}; {@code following} is the next line of the input stream ({@code null} at its end), visible to
     * the rules' look-ahead only. {@code fastPath} false runs every token through the rules (for testing).
     */
    static List<String> ptbTokens(String text, String following, boolean fastPath) {
        String line = text.replace('\n', ' ') + (following == null ? "" : "\n" + following.replace('\n', ' '));
        int end = text.length();
        List<Rule> rules = PtbRules.RULES;
        Matcher[][] matchers = MATCHERS.get();
        boolean[] reset = new boolean[rules.size()];
        List<String> tokens = new ArrayList<>();
        int pos = 0;
        while (pos < end) {
            int c = line.codePointAt(pos);
            if (c == ' ') {
                // The lexer skips a whole run of spaces (ASCII, tab, no-break, U+2000-U+200A, U+3000) in one match.
                while (pos < end && isSpaceRun(line.charAt(pos))) {
                    pos++;
                }
                continue;
            }
            int plain = fastPath ? plainWordEnd(line, pos) : pos;
            if (plain > pos) {
                tokens.add(line.substring(pos, plain).toLowerCase(Locale.ENGLISH));
                pos = plain;
                continue;
            }
            int best = -1;
            int bestPattern = -1;
            int bestTotal = 0;
            int chunkEnd = pos;
            while (chunkEnd < end && !isBreak(line.charAt(chunkEnd))) {
                chunkEnd++;
            }
            // The last rule (any character, deleted as untokenizable) only applies when nothing else matches.
            for (int r = 0; r < rules.size() - 1 || (r == rules.size() - 1 && best < 0); r++) {
                Rule rule = rules.get(r);
                if (!rule.first().test(c)
                        || (rule.needs() != null && !containsAny(line, pos, chunkEnd, rule.needs()))) {
                    continue;
                }
                if (!reset[r]) {
                    for (Matcher m : matchers[r]) {
                        m.reset(line);
                    }
                    reset[r] = true;
                }
                for (int p = 0; p < rule.patterns().length; p++) {
                    Matcher m = matchers[r][p];
                    m.region(pos, line.length());
                    if (m.lookingAt() && m.end() - pos > bestTotal) {
                        best = r;
                        bestPattern = p;
                        bestTotal = m.end() - pos;
                    }
                }
            }
            Matcher m = matchers[best][bestPattern];
            m.region(pos, line.length());
            m.lookingAt();
            String matched = m.group("t");
            pos += Math.max(1, PtbActions.apply(rules.get(best), matched, tokens));
        }
        return tokens;
    }

    /**
     * Fast path for the common tokens, or {@code pos} when the rules must decide: the end of an ASCII-letter word
     * followed by whitespace, by {@code , ; :} (when nothing up to the next whitespace could make a longer e-mail,
     * hyphenated word or URL), or by a sentence-final period (when "word." is no abbreviation); or the end of a digit
     * run followed by whitespace and no further digit. In these cases no rule matches longer than {@code WORD},
     * {@code THING} or {@code NUMBER} do, and rules that match as long (an abbreviation or acronym before a space) yield
     * the same token. Words the lexer splits ({@code cannot}, {@code gonna}...) always take the slow path.
     */
    private static int plainWordEnd(String line, int pos) {
        int i = pos;
        while (i < line.length() && isAsciiLetter(line.charAt(i))) {
            i++;
        }
        boolean letters = i > pos;
        if (!letters) {
            while (i < line.length() && line.charAt(i) >= '0' && line.charAt(i) <= '9') {
                i++;
            }
        }
        if (i == pos) {
            return pos;
        }
        char next = i < line.length() ? line.charAt(i) : ' ';
        boolean space = next == ' ' || next == '\t' || next == '\n';
        if (!letters) {
            return space && (i + 1 >= line.length() || !Character.isDigit(line.charAt(i + 1))) ? i : pos;
        }
        if (i - pos >= 5
                && i - pos <= 6
                && SPLIT_WORDS.contains(line.substring(pos, i).toLowerCase(Locale.ROOT))) {
            return pos;
        }
        if (space) {
            return i;
        }
        if (next == ',' || next == ';' || next == ':') {
            for (int j = i; j < line.length() && !isBreak(line.charAt(j)); j++) {
                char ch = line.charAt(j);
                if (ch == '@' || ch == '-' || ch == '/') {
                    return pos;
                }
            }
            return i;
        }
        if (next == '.' && (i + 1 == line.length() || line.charAt(i + 1) == ' ' || line.charAt(i + 1) == '\n')) {
            return ABBREVIATION.matcher(line.substring(pos, i + 1)).matches() ? pos : i;
        }
        return pos;
    }

    private static boolean containsAny(String s, int from, int to, String chars) {
        for (int i = from; i < to; i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) {
                return true;
            }
        }
        return false;
    }

    /** The characters no token with a {@link Rule#needs()} condition can contain (tab, newline, form feed, CR, space). */
    private static boolean isBreak(char ch) {
        return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\f' || ch == '\r';
    }

    private static boolean isSpaceRun(char ch) {
        return ch == ' ' || ch == '\t' || ch == '\u00A0' || (ch >= '\u2000' && ch <= '\u200A') || ch == '\u3000';
    }

    private static boolean isAsciiLetter(char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
    }
}

package org.blip4j.shapes;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a caption written in the shapes world's language back into a structured {@link Caption} whose
 * {@link Caption#holds(Scene)} decides whether it is true of a scene. A recursive-descent parser of the world's
 * grammar (written by hand: the language is tiny and fixed, a parser generator would outweigh it), not a lookup of
 * generated strings:
 *
 * <pre>
 * caption    := extra* intro? item (("," | "and" | ", and") item)* "."?
 * intro      := ("a" | "an") ("picture" | "image" | "drawing" | "photo") ("of" | "with" | "showing")
 *             | "there" ("is" | "are")
 *             | ("the" | "this") ("image" | "picture" | ...) ("contains" | "has" | "shows")
 * item       := np (("which" | "that")? ("is" | "are")? (position | relation np))? extra*
 *             | "the background is" bg-word
 * extra      := ("on" | "against" | "with") ("a" | "an" | "the")? bg-word "background"  |  "in the image" ...
 * np         := det adjective* noun       (at most one size and one colour adjective, in any order)
 * det        := "a" | "an" | "a single" | "one" | "the" | "no" | "exactly"? number   (number: zero..nine or a digit)
 * noun       := a shape word or synonym (singular or plural) | "shape(s)" | "object(s)"
 * position   := ("on" | "at" | "in" | "to") "the" (top | bottom) (left | right)? "corner"? | ... left | right | center
 *               | middle, optionally followed by "of the image"
 * relation   := ("to" | "on")? "the"? ("left" | "right") "of" | "above" | "below" | "under" | "beneath"
 * </pre>
 *
 * <p>Meaning, as the generator's captions mean it: a noun phrase in a plain list counts exactly ("two red circles"
 * means exactly two; "a red circle" exactly one), while "a"/"an" in a position or relation is existential ("a red
 * circle on the left": at least one red circle, one of them on the left). "a single", "one", "the" and numbers are
 * always exact. A list naming the same description twice ("a red star and a red star") counts them together.
 * Anything else — an unknown word, a dangling "and", "a circles", "a red", two colours on one noun — makes the text
 * unparseable: {@link #read} says why, {@link #parse} returns empty, and {@link #holds(String, Scene)} is false. No
 * input throws.
 */
public final class CaptionParser {
    /** Longest text considered (characters); longer inputs are unparseable rather than slow. */
    public static final int MAX_CHARS = 2000;

    /**
     * The outcome of reading a text: a caption, or the reason it is not one.
     *
     * @param caption the structured caption, or null
     * @param problem why the text does not parse, or null
     */
    public record Result(Caption caption, String problem) {
        /** Whether the text parsed. */
        public boolean ok() {
            return caption != null;
        }
    }

    private static final Map<String, Integer> NUMBERS = new HashMap<>();

    static {
        String[] n = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};
        for (int i = 0; i < n.length; i++) {
            NUMBERS.put(n[i], i);
        }
    }

    private static final Set<String> PICTURES = Set.of("picture", "image", "drawing", "photo", "photograph");
    private static final Set<String> BACKGROUNDS = Set.of("gradient", "striped");

    /** How a noun phrase was determined. */
    private enum Det {
        ARTICLE,
        ONE,
        SINGLE,
        THE,
        NUMBER
    }

    /** A noun phrase as read, before its exactness is settled. */
    private static final class Np {
        int count;
        Det det;
        SizeClass size;
        ShapeColor color;
        ShapeKind shape;
        Caption.Style style;
        boolean inClaim;
    }

    private final List<String> w;
    private int pos;
    private final List<Caption.Token> tokens = new ArrayList<>();
    private final List<Np> nps = new ArrayList<>();
    private final List<Caption.Claim> claims = new ArrayList<>();
    /** The furthest failure, for the message. */
    private int failAt = -1;

    private String failWhy;

    private CaptionParser(List<String> words) {
        this.w = words;
    }

    /** The caption a text states, or empty when it is not a caption of the shapes world's language. */
    public static Optional<Caption> parse(String text) {
        return Optional.ofNullable(read(text).caption());
    }

    /** Whether a text parses and holds for the scene (an unparseable text is false). */
    public static boolean holds(String text, Scene scene) {
        Caption c = read(text).caption();
        return c != null && c.holds(scene);
    }

    /** Reads a text: the caption, or why it is not one. Never throws (null reads as empty). */
    public static Result read(String text) {
        if (text == null || text.isBlank()) {
            return new Result(null, "empty text");
        }
        if (text.length() > MAX_CHARS) {
            return new Result(null, "longer than " + MAX_CHARS + " characters");
        }
        List<String> words = new ArrayList<>();
        String problem = tokenize(text, words);
        if (problem != null) {
            return new Result(null, problem);
        }
        CaptionParser p = new CaptionParser(words);
        try {
            return p.caption();
        } catch (RuntimeException e) { // a parser bug must not reach an evaluation: report the text as unparseable
            return new Result(null, "internal parser error: " + e);
        }
    }

    /** Lower-cases and splits into words; commas (and ; :) are words of their own, a final full stop is dropped. */
    private static String tokenize(String text, List<String> out) {
        String s = text.toLowerCase(Locale.ROOT).strip();
        while (s.endsWith(".") || s.endsWith("!")) {
            s = s.substring(0, s.length() - 1).strip();
        }
        StringBuilder word = new StringBuilder();
        for (int i = 0; i <= s.length(); i++) {
            char ch = i < s.length() ? s.charAt(i) : ' ';
            if (ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9') {
                word.append(ch);
                continue;
            }
            if (word.length() > 0) {
                out.add(word.toString());
                word.setLength(0);
            }
            if (ch == ',' || ch == ';' || ch == ':') {
                out.add(",");
            } else if (!Character.isWhitespace(ch) && ch != '-') {
                return "unexpected character '" + ch + "'";
            }
        }
        return out.isEmpty() ? "no words" : null;
    }

    // ---------------------------------------------------------------- grammar

    private Result caption() {
        while (extra()) {
            // "on a white background there is ...", "in the image there are ..."
        }
        intro();
        boolean any = false;
        do {
            if (!item()) {
                return failure();
            }
            any = true;
            while (extra()) {
                // backgrounds and "in the image" after any item
            }
        } while (separator());
        if (pos < w.size()) {
            fail("unexpected '" + w.get(pos) + "'");
            return failure();
        }
        if (!any || nps.isEmpty() && claims.isEmpty()) {
            return new Result(null, "says nothing");
        }
        return new Result(build(), null);
    }

    private Result failure() {
        String where = failAt >= 0 && failAt < w.size()
                ? " at word " + (failAt + 1) + " ('" + w.get(failAt) + "')"
                : failAt >= w.size() ? " at the end" : "";
        return new Result(null, (failWhy == null ? "not a caption" : failWhy) + where);
    }

    private void fail(String why) {
        if (pos >= failAt) {
            failAt = pos;
            failWhy = why;
        }
    }

    private void intro() {
        int[] m = mark();
        if (word("a", "an") && word(PICTURES) && word("of", "with", "showing", "containing")) {
            return;
        }
        reset(m);
        if (word("there") && word("is", "are")) {
            return;
        }
        reset(m);
        if (word("the", "this") && word(PICTURES) && word("contains", "has", "shows")) {
            return;
        }
        reset(m);
    }

    private boolean item() {
        int[] m = mark();
        // "the background is beige"
        if (word("the") && word("background") && word("is")) {
            if (bgWord(true)) {
                return true;
            }
            fail("expected a background word");
            reset(m);
            return false;
        }
        reset(m);
        int a = np();
        if (a < 0) {
            return false;
        }
        int[] afterNp = mark();
        word("which", "that");
        word("is", "are");
        if (position(a)) {
            return true;
        }
        Relation r = relation();
        if (r != null) {
            int b = np();
            if (b < 0) {
                fail("expected the object of the relation");
                return false;
            }
            nps.get(a).inClaim = true;
            nps.get(b).inClaim = true;
            claims.add(new Caption.Related(a, r, b));
            return true;
        }
        reset(afterNp);
        return true;
    }

    private boolean extra() {
        int[] m = mark();
        if (word("on", "against", "with")) {
            word("a", "an", "the");
            if (bgWord(false)) {
                return true;
            }
        }
        reset(m);
        if (word("in", "on") && word("the", "this") && word(PICTURES)) {
            return true;
        }
        reset(m);
        return false;
    }

    /** A background word (then "background" unless {@code bare}): a colour, "gradient" or "striped". */
    private boolean bgWord(boolean bare) {
        if (pos >= w.size()) {
            return false;
        }
        String x = w.get(pos);
        String word;
        if (BACKGROUNDS.contains(x)) {
            word = x;
        } else if (BackgroundColor.fromWord(x) != null) {
            word = BackgroundColor.fromWord(x).word();
        } else if (ShapeColor.fromWord(x) != null) {
            // "grey" is the world's "gray"; other object colours are never backgrounds, so such a claim is false
            word = ShapeColor.fromWord(x) == ShapeColor.GRAY ? BackgroundColor.GRAY.word() : x;
        } else {
            return false;
        }
        int[] m = mark();
        word(x);
        if (!bare && !word("background")) {
            reset(m);
            return false;
        }
        claims.add(new Caption.Backdrop(word));
        return true;
    }

    private boolean separator() {
        int[] m = mark();
        boolean comma = word(",");
        boolean and = word("and");
        if (!comma && !and) {
            return false;
        }
        if (pos >= w.size()) {
            reset(m);
            fail("dangling '" + (and ? "and" : ",") + "'");
            return false;
        }
        return true;
    }

    /** A noun phrase; returns its index, or -1 (position unchanged). */
    private int np() {
        int[] m = mark();
        int start = pos;
        Np np = new Np();
        int det = 0;
        if (word("a", "an")) {
            if (word("single")) {
                np.det = Det.SINGLE;
                det = 2;
            } else {
                np.det = Det.ARTICLE;
            }
            np.count = 1;
        } else if (word("single")) {
            np.det = Det.SINGLE;
            np.count = 1;
            det = 2;
        } else if (word("the")) {
            Integer n = number();
            np.det = n == null ? Det.THE : Det.NUMBER;
            np.count = n == null ? 1 : n;
            det = 3;
        } else if (word("no")) {
            np.det = Det.NUMBER;
            np.count = 0;
        } else {
            boolean exactly = word("exactly");
            Integer n = number();
            if (n == null) {
                fail(exactly ? "expected a number after 'exactly'" : "expected a noun phrase");
                reset(m);
                return -1;
            }
            np.count = n;
            np.det = n == 1 ? Det.ONE : Det.NUMBER;
            det = n == 1 ? 1 : 0;
        }
        int sizeWord = 0;
        int colorWord = 0;
        while (pos < w.size()) {
            String x = w.get(pos);
            SizeClass s = SizeClass.fromWord(x);
            ShapeColor c = ShapeColor.fromWord(x);
            if (s != null) {
                if (np.size != null) {
                    fail("two sizes in one noun phrase");
                    reset(m);
                    return -1;
                }
                np.size = s;
                sizeWord = s.words().indexOf(x);
            } else if (c != null) {
                if (np.color != null) {
                    fail("two colours in one noun phrase");
                    reset(m);
                    return -1;
                }
                np.color = c;
                colorWord = c.words().indexOf(x);
            } else {
                break;
            }
            pos++;
        }
        if (pos >= w.size()) {
            fail("noun phrase without a noun");
            reset(m);
            return -1;
        }
        String noun = w.get(pos);
        ShapeKind k = ShapeKind.fromWord(noun);
        boolean plural;
        int nounWord = 0;
        int generic = 0;
        if (k != null) {
            plural = k.plurals().contains(noun);
            nounWord = (plural ? k.plurals() : k.words()).indexOf(noun);
        } else if (noun.equals("shape") || noun.equals("shapes") || noun.equals("object") || noun.equals("objects")) {
            plural = noun.endsWith("s");
            generic = noun.startsWith("shape") ? 0 : 1;
        } else {
            fail("expected a shape word");
            reset(m);
            return -1;
        }
        np.shape = k;
        boolean agrees = np.count == 0 || plural == (np.count != 1);
        if (!agrees || np.det == Det.THE && plural) {
            fail("'" + String.join(" ", w.subList(start, pos + 1)) + "': number does not agree");
            reset(m);
            return -1;
        }
        pos++;
        np.style = new Caption.Style(det, nounWord, colorWord, sizeWord, generic);
        nps.add(np);
        truncate(tokens, m[1]); // the phrase renders its own words
        tokens.add(new Caption.Phrase(nps.size() - 1));
        return nps.size() - 1;
    }

    private Integer number() {
        if (pos >= w.size()) {
            return null;
        }
        String x = w.get(pos);
        Integer n = NUMBERS.get(x);
        if (n == null && x.length() == 1 && Character.isDigit(x.charAt(0))) {
            n = Integer.parseInt(x);
        }
        if (n != null) {
            pos++;
        }
        return n;
    }

    /** A position after noun phrase {@code np} ("on the left", "in the top right corner"); false: unchanged. */
    private boolean position(int np) {
        int[] m = mark();
        if (!word("on", "at", "in", "to") || !word("the")) {
            reset(m);
            return false;
        }
        int col = 1;
        int row = 1;
        if (word("center", "centre", "middle")) {
            col = 1; // the centre cell
        } else if (peek("top", "upper", "bottom", "lower")) {
            row = peek("top", "upper") ? 0 : 2;
            word("top", "upper", "bottom", "lower");
            if (word("left")) {
                col = 0;
            } else if (word("right")) {
                col = 2;
            }
            if (col != 1) {
                word("corner");
            }
        } else if (peek("left", "right")) {
            col = peek("left") ? 0 : 2;
            word("left", "right");
            word("side");
        } else {
            reset(m);
            return false;
        }
        // "of the image" belongs to the position; "of" + a noun phrase makes it a relation
        int[] beforeOf = mark();
        if (word("of")) {
            if (!(word("the", "this") && word(PICTURES))) {
                reset(m);
                return false;
            }
        } else {
            reset(beforeOf);
        }
        if (nps.get(np).count == 0) {
            fail("a position for no object");
            reset(m);
            return false;
        }
        nps.get(np).inClaim = true;
        claims.add(new Caption.Located(np, Region.at(col, row)));
        return true;
    }

    /** A relation phrase, or null (position unchanged). */
    private Relation relation() {
        int[] m = mark();
        if (word("above", "over")) {
            return Relation.ABOVE;
        }
        if (word("below", "under", "beneath", "underneath")) {
            return Relation.BELOW;
        }
        word("to", "on");
        word("the");
        if (peek("left", "right")) {
            boolean left = peek("left");
            word("left", "right");
            word("side");
            if (word("of")) {
                return left ? Relation.LEFT_OF : Relation.RIGHT_OF;
            }
        }
        reset(m);
        return null;
    }

    // ---------------------------------------------------------------- building

    private Caption build() {
        List<Caption.Mention> ms = new ArrayList<>();
        // a plain list naming one description twice counts the objects together
        int[] total = new int[nps.size()];
        for (int i = 0; i < nps.size(); i++) {
            Np a = nps.get(i);
            total[i] = a.count;
            if (a.inClaim) {
                continue;
            }
            for (int j = 0; j < nps.size(); j++) {
                Np b = nps.get(j);
                if (j != i && !b.inClaim && a.size == b.size && a.color == b.color && a.shape == b.shape) {
                    total[i] += b.count;
                }
            }
        }
        for (int i = 0; i < nps.size(); i++) {
            Np np = nps.get(i);
            boolean exact = np.det != Det.ARTICLE || !np.inClaim;
            ms.add(new Caption.Mention(total[i], exact, np.size, np.color, np.shape, np.style));
        }
        return new Caption(tokens, ms, claims);
    }

    // ---------------------------------------------------------------- helpers

    private int[] mark() {
        return new int[] {pos, tokens.size(), nps.size(), claims.size()};
    }

    private void reset(int[] m) {
        pos = m[0];
        truncate(tokens, m[1]);
        truncate(nps, m[2]);
        truncate(claims, m[3]);
    }

    private static void truncate(List<?> l, int n) {
        while (l.size() > n) {
            l.remove(l.size() - 1);
        }
    }

    private boolean peek(String... options) {
        if (pos >= w.size()) {
            return false;
        }
        for (String o : options) {
            if (o.equals(w.get(pos))) {
                return true;
            }
        }
        return false;
    }

    /** Consumes the next word if it is one of the options (recording it as a literal word of the caption). */
    private boolean word(String... options) {
        if (peek(options)) {
            tokens.add(new Caption.Word(w.get(pos)));
            pos++;
            return true;
        }
        return false;
    }

    private boolean word(Set<String> options) {
        if (pos < w.size() && options.contains(w.get(pos))) {
            tokens.add(new Caption.Word(w.get(pos)));
            pos++;
            return true;
        }
        return false;
    }
}

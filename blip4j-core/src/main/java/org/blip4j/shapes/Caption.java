package org.blip4j.shapes;

import java.util.ArrayList;
import java.util.List;

/**
 * A caption kept in structured form: words and noun phrases (each naming a {@link Mention}) plus the claims they make,
 * so that its truth for a scene can be checked and a single attribute can be changed and the text rendered again.
 */
public final class Caption {
    /** A part of the text: literal words or a noun phrase. */
    public sealed interface Token permits Word, Phrase {}

    /** Literal text (one word or a comma). */
    public record Word(String text) implements Token {}

    /** The noun phrase of mention number {@code mention}. */
    public record Phrase(int mention) implements Token {}

    /**
     * How a noun phrase is worded.
     *
     * @param det for a count of one: 0 "a"/"an", 1 "one", 2 "a single", 3 "the" (read by {@link CaptionParser})
     * @param noun index of the shape synonym (modulo the number of synonyms)
     * @param colorWord index of the colour synonym
     * @param sizeWord index of the size synonym
     * @param generic for phrases without a shape: 0 "shape", 1 "object"
     */
    public record Style(int det, int noun, int colorWord, int sizeWord, int generic) {
        static final Style PLAIN = new Style(0, 0, 0, 0, 0);
    }

    /**
     * A noun phrase's meaning: {@code count} objects fitting (size, colour, shape), where null matches anything; with
     * {@code exact} the scene must hold exactly that many, else at least that many.
     */
    public record Mention(int count, boolean exact, SizeClass size, ShapeColor color, ShapeKind shape, Style style) {
        /** This mention with another colour. */
        public Mention withColor(ShapeColor c) {
            return new Mention(count, exact, size, c, shape, style);
        }

        /** This mention with another shape. */
        public Mention withShape(ShapeKind k) {
            return new Mention(count, exact, size, color, k, style);
        }

        /** This mention with another count. */
        public Mention withCount(int n) {
            return new Mention(n, exact, size, color, shape, style);
        }
    }

    /** What a caption says beyond the counts of its mentions. */
    public sealed interface Claim permits Related, Located, Backdrop {}

    /**
     * Some object of mention {@code a} stands in {@code relation} to some (other) object of mention {@code b}; when
     * the mention counts more than one ("two circles left of a square"), at least that many of its objects do.
     */
    public record Related(int a, Relation relation, int b) implements Claim {}

    /**
     * Some object of mention {@code mention} lies in {@code region}; when the mention counts more than one ("two
     * circles on the left"), at least that many of its objects do.
     */
    public record Located(int mention, Region region) implements Claim {}

    /** The background's word ({@link Background#word()}) is {@code word}. */
    public record Backdrop(String word) implements Claim {}

    private static final String[] NUMBERS = {
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"
    };

    private final List<Token> tokens;
    private final List<Mention> mentions;
    private final List<Claim> claims;

    Caption(List<Token> tokens, List<Mention> mentions, List<Claim> claims) {
        this.tokens = List.copyOf(tokens);
        this.mentions = List.copyOf(mentions);
        this.claims = List.copyOf(claims);
    }

    public List<Token> tokens() {
        return tokens;
    }

    public List<Mention> mentions() {
        return mentions;
    }

    public List<Claim> claims() {
        return claims;
    }

    /** The same caption with mention {@code k} replaced (its text re-rendered, articles and plurals adjusted). */
    public Caption withMention(int k, Mention m) {
        List<Mention> ms = new ArrayList<>(mentions);
        ms.set(k, m);
        return new Caption(tokens, ms, claims);
    }

    /** Whether everything the caption says is true of the scene, exact counts read strictly. */
    public boolean holds(Scene s) {
        return holds(s, false);
    }

    /**
     * Whether the caption is false even when read leniently: "a red circle" read as "at least one", so that only
     * explicit counts ("two", "a single") are exact. Noisy web captions are made to contradict their image.
     */
    public boolean contradicts(Scene s) {
        return !holds(s, true);
    }

    private boolean holds(Scene s, boolean lenient) {
        for (Mention m : mentions) {
            int n = s.count(m.size(), m.color(), m.shape());
            boolean exact =
                    m.exact() && (!lenient || m.count() != 1 || m.style().det() == 2);
            if (exact ? n != m.count() : n < m.count()) {
                return false;
            }
        }
        for (Claim c : claims) {
            if (c instanceof Related r) {
                Mention a = mentions.get(r.a());
                Mention b = mentions.get(r.b());
                int found = 0;
                for (SceneObject oa : s.matching(a.size(), a.color(), a.shape())) {
                    boolean related = false;
                    for (SceneObject ob : s.matching(b.size(), b.color(), b.shape())) {
                        if (oa != ob && s.relation(oa, r.relation(), ob) == Relation.Truth.TRUE) {
                            related = true;
                        }
                    }
                    found += related ? 1 : 0;
                }
                if (found < Math.max(1, a.count())) {
                    return false;
                }
            } else if (c instanceof Located l) {
                Mention m = mentions.get(l.mention());
                int found = 0;
                for (SceneObject o : s.matching(m.size(), m.color(), m.shape())) {
                    found += o.region(s.size()) == l.region() ? 1 : 0;
                }
                if (found < Math.max(1, m.count())) {
                    return false;
                }
            } else if (c instanceof Backdrop b) {
                if (!s.background().word().equals(b.word())) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The words of the caption (a comma is its own word). */
    public List<String> words() {
        List<String> out = new ArrayList<>();
        for (Token t : tokens) {
            if (t instanceof Word w) {
                out.add(w.text());
            } else {
                out.addAll(phrase(mentions.get(((Phrase) t).mention())));
            }
        }
        return out;
    }

    /** Number of words, commas not counted. */
    public int wordCount() {
        int n = 0;
        for (String w : words()) {
            if (!w.equals(",")) {
                n++;
            }
        }
        return n;
    }

    /** The lower-case sentence. */
    public String text() {
        return join(words());
    }

    /** Words joined into a sentence: single spaces, none before a comma. */
    static String join(List<String> words) {
        StringBuilder sb = new StringBuilder();
        for (String w : words) {
            if (sb.length() > 0 && !w.equals(",")) {
                sb.append(' ');
            }
            sb.append(w);
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return text();
    }

    /** The words of one noun phrase. */
    static List<String> phrase(Mention m) {
        Style st = m.style();
        List<String> rest = new ArrayList<>();
        if (m.size() != null) {
            rest.add(pick(m.size().words(), st.sizeWord()));
        }
        if (m.color() != null) {
            rest.add(pick(m.color().words(), st.colorWord()));
        }
        boolean plural = m.count() != 1;
        if (m.shape() != null) {
            rest.add(pick(plural ? m.shape().plurals() : m.shape().words(), st.noun()));
        } else {
            String g = st.generic() == 0 ? "shape" : "object";
            rest.add(plural ? g + "s" : g);
        }
        List<String> out = new ArrayList<>();
        if (m.count() == 1) {
            if (st.det() == 1) {
                out.add("one");
            } else if (st.det() == 2) {
                out.add("a");
                out.add("single");
            } else if (st.det() == 3) {
                out.add("the");
            } else {
                out.add(article(rest.get(0)));
            }
        } else {
            out.add(number(m.count()));
        }
        out.addAll(rest);
        return out;
    }

    /** "a" or "an" before a word. */
    static String article(String next) {
        return "aeiou".indexOf(next.charAt(0)) >= 0 ? "an" : "a";
    }

    /** A count as a word, "zero" to "nine". */
    static String number(int n) {
        return NUMBERS[n];
    }

    private static String pick(List<String> words, int i) {
        return words.get(Math.floorMod(i, words.size()));
    }

    /** Builds a caption token by token. */
    static final class Builder {
        private final List<Token> tokens = new ArrayList<>();
        private final List<Mention> mentions = new ArrayList<>();
        private final List<Claim> claims = new ArrayList<>();

        Builder words(String text) {
            for (String w : text.split(" ")) {
                if (!w.isEmpty()) {
                    tokens.add(new Word(w));
                }
            }
            return this;
        }

        /** Appends a noun phrase and returns its mention's index. */
        int phrase(Mention m) {
            mentions.add(m);
            tokens.add(new Phrase(mentions.size() - 1));
            return mentions.size() - 1;
        }

        Builder claim(Claim c) {
            claims.add(c);
            return this;
        }

        /** The caption; all its phrases spell colours alike (the first phrase's choice: "gray" or "grey"). */
        Caption build() {
            List<Mention> ms = new ArrayList<>();
            for (Mention m : mentions) {
                Style st = m.style();
                int colorWord = mentions.get(0).style().colorWord();
                ms.add(new Mention(
                        m.count(),
                        m.exact(),
                        m.size(),
                        m.color(),
                        m.shape(),
                        new Style(st.det(), st.noun(), colorWord, st.sizeWord(), st.generic())));
            }
            return new Caption(tokens, ms, claims);
        }
    }
}

package org.blip4j.shapes;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Minimal false captions for ITM: a true caption of a scene changed in one place so that the world says it is false
 * however it is read — one colour, shape or exact count flipped ({@link WebNoise#flip}), or two noun phrases trading
 * their colours, their shapes or their places ("a red circle left of a blue square" becomes "a blue circle left of a
 * red square", or "a blue square left of a red circle"). The swaps keep every word, so only a model that binds each
 * attribute to its object, and knows which object stands where, can tell them from the truth. BLIP mines its ITM
 * negatives from the batch by similarity; in the shapes world such pairs are almost never in a batch of 32.
 */
public final class HardNegatives {
    private HardNegatives() {}

    /** What was changed. */
    public enum Kind {
        /** One attribute of one noun phrase: colour, shape or exact count. */
        FLIP,
        /** Two noun phrases trade colours. */
        SWAP_COLORS,
        /** Two noun phrases trade shapes. */
        SWAP_SHAPES,
        /** Two noun phrases trade places (reverses a relation, moves objects between positions). */
        SWAP_PHRASES,
        /** A position phrase names another ninth of the image ("in the top left corner" becomes "at the bottom"). */
        REGION,
        /** The background is named wrongly ("on a white background" becomes "on a striped background"). */
        BACKGROUND
    }

    /** A false caption and how it was made from the true one. */
    public record Negative(Caption caption, Kind kind) {}

    /**
     * A false variant of the true caption {@code c} of scene {@code s} (draws seeded by {@code seed}), the kind drawn
     * among those that can make this caption false, by {@link #weight}; null if none can.
     */
    public static Negative of(Caption c, Scene s, long seed) {
        return of(c, s, new Rng(seed));
    }

    /** As {@link #of(Caption, Scene, long)} with the world's own random source. */
    static Negative of(Caption c, Scene s, Rng rng) {
        List<Negative> options = new ArrayList<>();
        for (Kind k : Kind.values()) {
            Caption out = switch (k) {
                case FLIP -> flip(c, s, rng);
                case REGION, BACKGROUND -> rephrase(c, s, k, rng);
                default -> swap(c, s, k, rng);
            };
            if (out != null) {
                options.add(new Negative(out, k));
            }
        }
        if (options.isEmpty()) {
            return null;
        }
        double[] w = new double[options.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = weight(options.get(i).kind());
        }
        return options.get(rng.weighted(w));
    }

    private static Caption flip(Caption c, Scene s, Rng rng) {
        WebNoise.Flip f = WebNoise.flip(c, s, rng);
        return f == null ? null : f.caption();
    }

    /**
     * How often a kind is drawn where the caption allows it, against 1 for the others: positions and relations weigh
     * 3, since they are what a model of this world reads worst (text→image truth@1 of the shapes model was 22 % for
     * position queries and 35 % for relation queries against 76 % for lists of objects, docs/shapes.md).
     */
    static double weight(Kind k) {
        return k == Kind.REGION || k == Kind.SWAP_PHRASES ? 3 : 1;
    }

    /** The first pair of noun phrases (in random order) whose swap makes the caption false, or null. */
    private static Caption swap(Caption c, Scene s, Kind kind, Rng rng) {
        int n = c.mentions().size();
        List<int[]> pairs = new ArrayList<>();
        for (int a = 0; a < n; a++) {
            for (int b = a + 1; b < n; b++) {
                pairs.add(new int[] {a, b});
            }
        }
        rng.shuffle(pairs);
        for (int[] p : pairs) {
            Caption.Mention ma = c.mentions().get(p[0]);
            Caption.Mention mb = c.mentions().get(p[1]);
            Caption.Mention na;
            Caption.Mention nb;
            switch (kind) {
                case SWAP_COLORS -> {
                    if (ma.color() == null || mb.color() == null || ma.color() == mb.color()) {
                        continue;
                    }
                    na = ma.withColor(mb.color());
                    nb = mb.withColor(ma.color());
                }
                case SWAP_SHAPES -> {
                    if (ma.shape() == null || mb.shape() == null || ma.shape() == mb.shape()) {
                        continue;
                    }
                    na = ma.withShape(mb.shape());
                    nb = mb.withShape(ma.shape());
                }
                default -> {
                    na = mb;
                    nb = ma;
                }
            }
            Caption swapped = c.withMention(p[0], na).withMention(p[1], nb);
            if (swapped.contradicts(s)) {
                return swapped;
            }
        }
        return null;
    }

    /** The words of each position phrase, longest first, and the region each names. */
    private static final List<Map.Entry<List<String>, Region>> REGION_PHRASES = regionPhrases();

    private static List<Map.Entry<List<String>, Region>> regionPhrases() {
        List<Map.Entry<List<String>, Region>> out = new ArrayList<>();
        for (Region r : Region.values()) {
            for (String p : r.phrases()) {
                out.add(Map.entry(List.of(p.split(" ")), r));
            }
        }
        out.sort((a, b) -> b.getKey().size() - a.getKey().size());
        return out;
    }

    /** The words a caption can name a background with. */
    private static final List<String> BACKGROUND_WORDS = backgroundWords();

    private static List<String> backgroundWords() {
        List<String> out = new ArrayList<>();
        for (BackgroundColor c : BackgroundColor.values()) {
            out.add(c.word());
        }
        out.add("gradient");
        out.add("striped");
        return out;
    }

    /**
     * One position phrase (REGION) or background word (BACKGROUND) of the caption's text replaced by one naming
     * something else, read back with {@link CaptionParser} and kept if the world says it is false; null if none is.
     */
    private static Caption rephrase(Caption c, Scene s, Kind kind, Rng rng) {
        List<String> words = c.words();
        List<int[]> spans = new ArrayList<>(); // {start, length, index of what it names}
        for (int i = 0; i < words.size(); i++) {
            if (kind == Kind.BACKGROUND) {
                int w = BACKGROUND_WORDS.indexOf(words.get(i));
                if (w >= 0 && i + 1 < words.size() && words.get(i + 1).equals("background")) {
                    spans.add(new int[] {i, 1, w});
                }
                continue;
            }
            for (Map.Entry<List<String>, Region> e : REGION_PHRASES) {
                int n = e.getKey().size();
                if (i + n <= words.size()
                        && words.subList(i, i + n).equals(e.getKey())
                        && (i + n == words.size()
                                || !List.of("left", "right", "corner").contains(words.get(i + n)))) {
                    spans.add(new int[] {i, n, e.getValue().ordinal()});
                    break;
                }
            }
        }
        rng.shuffle(spans);
        for (int[] span : spans) {
            List<List<String>> others = new ArrayList<>();
            if (kind == Kind.BACKGROUND) {
                for (int w = 0; w < BACKGROUND_WORDS.size(); w++) {
                    if (w != span[2]) {
                        others.add(List.of(BACKGROUND_WORDS.get(w)));
                    }
                }
            } else {
                for (Region r : Region.values()) {
                    if (r.ordinal() != span[2]) {
                        others.add(List.of(rng.pick(r.phrases()).split(" ")));
                    }
                }
            }
            rng.shuffle(others);
            for (List<String> other : others) {
                List<String> out = new ArrayList<>(words.subList(0, span[0]));
                out.addAll(other);
                out.addAll(words.subList(span[0] + span[1], words.size()));
                Caption read = CaptionParser.parse(Caption.join(out)).orElse(null);
                if (read != null && read.contradicts(s)) {
                    return read;
                }
            }
        }
        return null;
    }
}

package org.blip4j.shapes;

import java.util.ArrayList;
import java.util.List;

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
        SWAP_PHRASES
    }

    /** A false caption and how it was made from the true one. */
    public record Negative(Caption caption, Kind kind) {}

    /**
     * A false variant of the true caption {@code c} of scene {@code s} (draws seeded by {@code seed}), the kind drawn
     * evenly among those that can make this caption false (so a caption with a relation is reversed as often as it is
     * flipped); null if none can.
     */
    public static Negative of(Caption c, Scene s, long seed) {
        return of(c, s, new Rng(seed));
    }

    /** As {@link #of(Caption, Scene, long)} with the world's own random source. */
    static Negative of(Caption c, Scene s, Rng rng) {
        List<Negative> options = new ArrayList<>();
        for (Kind k : Kind.values()) {
            Caption out = k == Kind.FLIP ? flip(c, s, rng) : swap(c, s, k, rng);
            if (out != null) {
                options.add(new Negative(out, k));
            }
        }
        return options.isEmpty() ? null : options.get(rng.nextInt(options.size()));
    }

    private static Caption flip(Caption c, Scene s, Rng rng) {
        WebNoise.Flip f = WebNoise.flip(c, s, rng);
        return f == null ? null : f.caption();
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
}

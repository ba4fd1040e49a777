package org.blip4j.shapes;

import java.util.List;

/**
 * Spatial relations between two objects, judged from their centres: clearly true, clearly false, or too close to call
 * (such pairs are never described nor asked about).
 */
public enum Relation {
    LEFT_OF(-1, 0, "left of", "to the left of", "left of"),
    RIGHT_OF(1, 0, "right of", "to the right of", "right of"),
    ABOVE(0, -1, "above", "above"),
    BELOW(0, 1, "below", "below", "under");

    /** Whether a relation holds. */
    public enum Truth {
        TRUE,
        FALSE,
        AMBIGUOUS
    }

    /** Minimum distance along the relation's axis, as a fraction of the image side, for TRUE. */
    public static final double MIN_ALONG = 0.15;
    /** Maximum |across| / along for TRUE (a cone of about 37 degrees either side). */
    public static final double MAX_SLOPE = 0.75;
    /** Below this distance along (fraction of the side) the relation is FALSE. */
    public static final double FALSE_ALONG = 0.05;
    /** Above this |across| / along the relation is FALSE. */
    public static final double FALSE_SLOPE = 1.33;

    private final int dx;
    private final int dy;
    private final String question;
    private final List<String> phrases;

    Relation(int dx, int dy, String question, String... phrases) {
        this.dx = dx;
        this.dy = dy;
        this.question = question;
        this.phrases = List.of(phrases);
    }

    /** The phrase questions use, e.g. "left of". */
    public String questionPhrase() {
        return question;
    }

    /** Caption phrases, e.g. "to the left of". */
    public List<String> phrases() {
        return phrases;
    }

    /** Whether "a REL b" holds for centres (ax, ay) and (bx, by) in a square image of the given side. */
    public Truth classify(double ax, double ay, double bx, double by, int size) {
        // displacement from a to b; "a left of b" means b lies to the right of a
        double along = dx != 0 ? -dx * (bx - ax) : -dy * (by - ay);
        double across = Math.abs(dx != 0 ? by - ay : bx - ax);
        if (along >= MIN_ALONG * size && across <= MAX_SLOPE * along) {
            return Truth.TRUE;
        }
        if (along <= FALSE_ALONG * size || across >= FALSE_SLOPE * along) {
            return Truth.FALSE;
        }
        return Truth.AMBIGUOUS;
    }

    /** As {@link #classify(double, double, double, double, int)} for two objects. */
    public Truth classify(SceneObject a, SceneObject b, int size) {
        return classify(a.x(), a.y(), b.x(), b.y(), size);
    }
}

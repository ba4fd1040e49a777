package org.blip4j.shapes;

/**
 * NLVR2-style statements about a pair of scenes (left, right) with their truth: comparisons of counts, presence in
 * both, either or neither image, totals, backgrounds and spatial relations. Statements whose truth would rest on a
 * borderline spatial relation are not made.
 */
final class NlvrGenerator {
    /** A statement about a pair of images and whether it is true. */
    record Statement(String text, boolean label) {}

    /** A random statement about (left, right), or null where the drawn template does not apply. */
    Statement generate(Scene left, Scene right, Rng rng) {
        Scene[] pair = {left, right};
        int side = rng.nextInt(2);
        String sideWord = side == 0 ? "left" : "right";
        String otherWord = side == 0 ? "right" : "left";
        Scene one = pair[side];
        Scene other = pair[1 - side];
        // attributes are taken from a random object of either image, so that statements are true often enough
        SceneObject o = rng.pick(pair[rng.nextInt(2)].objects());
        ShapeKind k = rng.chance(0.8) ? o.shape() : rng.pick(ShapeKind.values());
        ShapeColor c = rng.chance(0.8) ? o.color() : rng.pick(ShapeColor.values());
        String verb = rng.chance(0.5) ? "contains" : "has";
        switch (rng.nextInt(10)) {
            case 0:
                return new Statement(
                        "the " + sideWord + " image " + verb + " more " + k.plural() + " than the " + otherWord
                                + " image",
                        one.count(null, null, k) > other.count(null, null, k));
            case 1: {
                String noun = rng.chance(0.5) ? "objects" : "shapes";
                return new Statement(
                        "the " + sideWord + " image " + verb + " more " + noun + " than the " + otherWord + " image",
                        one.objects().size() > other.objects().size());
            }
            case 2: {
                int form = rng.nextInt(3);
                return new Statement(
                        "both images contain " + thing(form, c, k), has(left, form, c, k) && has(right, form, c, k));
            }
            case 3: {
                int form = rng.nextInt(3);
                return new Statement(
                        "neither image contains " + thing(form, c, k),
                        !has(left, form, c, k) && !has(right, form, c, k));
            }
            case 4: {
                int form = rng.nextInt(3);
                return new Statement(
                        "exactly one image contains " + thing(form, c, k),
                        has(left, form, c, k) != has(right, form, c, k));
            }
            case 5: {
                int n = rng.chance(0.5) ? one.objects().size() : 1 + rng.nextInt(4);
                String noun =
                        n == 1 ? (rng.chance(0.5) ? "object" : "shape") : (rng.chance(0.5) ? "objects" : "shapes");
                String text = rng.chance(0.5)
                        ? "the " + sideWord + " image " + verb + " exactly " + Caption.number(n) + " " + noun
                        : "there " + (n == 1 ? "is" : "are") + " exactly " + Caption.number(n) + " " + noun + " in the "
                                + sideWord + " image";
                return new Statement(text, one.objects().size() == n);
            }
            case 6: {
                boolean byShape = rng.chance(0.6);
                int actual = byShape
                        ? left.count(null, null, k) + right.count(null, null, k)
                        : left.count(null, c, null) + right.count(null, c, null);
                int n = rng.chance(0.5) ? Math.max(1, actual) : 1 + rng.nextInt(5);
                String what = byShape ? (n == 1 ? k.word() : k.plural()) : c.word() + (n == 1 ? " object" : " objects");
                return new Statement(
                        "there " + (n == 1 ? "is" : "are") + " " + Caption.number(n) + " " + what + " in total",
                        actual == n);
            }
            case 7:
                return new Statement(
                        "both images contain the same number of objects",
                        left.objects().size() == right.objects().size());
            case 8: {
                String w = rng.chance(0.6)
                        ? one.background().word()
                        : other.background().word();
                return new Statement(
                        "the " + sideWord + " image has " + Caption.article(w) + " " + w + " background",
                        one.background().word().equals(w));
            }
            default:
                return relation(one, sideWord, rng);
        }
    }

    private Statement relation(Scene s, String sideWord, Rng rng) {
        if (s.objects().size() < 2) {
            return null;
        }
        SceneObject a = rng.pick(s.objects());
        SceneObject b;
        do {
            b = rng.pick(s.objects());
        } while (b == a);
        Relation r = rng.pick(Relation.values());
        boolean aColor = rng.chance(0.5);
        boolean bColor = rng.chance(0.5);
        ShapeColor ca = aColor ? a.color() : null;
        ShapeColor cb = bColor ? b.color() : null;
        boolean any = false;
        boolean borderline = false;
        for (SceneObject x : s.matching(null, ca, a.shape())) {
            for (SceneObject y : s.matching(null, cb, b.shape())) {
                if (x == y) {
                    continue;
                }
                Relation.Truth t = s.relation(x, r, y);
                any |= t == Relation.Truth.TRUE;
                borderline |= t == Relation.Truth.AMBIGUOUS;
            }
        }
        if (!any && borderline) {
            return null;
        }
        String na = (ca == null ? "" : ca.word() + " ") + a.shape().word();
        String nb = (cb == null ? "" : cb.word() + " ") + b.shape().word();
        return new Statement(
                "in the " + sideWord + " image there is " + Caption.article(na) + " " + na + " "
                        + r.phrases().get(0) + " " + Caption.article(nb) + " " + nb,
                any);
    }

    private static String thing(int form, ShapeColor c, ShapeKind k) {
        switch (form) {
            case 0:
                return Caption.article(k.word()) + " " + k.word();
            case 1:
                return Caption.article(c.word()) + " " + c.word() + " object";
            default:
                return Caption.article(c.word()) + " " + c.word() + " " + k.word();
        }
    }

    private static boolean has(Scene s, int form, ShapeColor c, ShapeKind k) {
        switch (form) {
            case 0:
                return s.count(null, null, k) > 0;
            case 1:
                return s.count(null, c, null) > 0;
            default:
                return s.count(null, c, k) > 0;
        }
    }
}

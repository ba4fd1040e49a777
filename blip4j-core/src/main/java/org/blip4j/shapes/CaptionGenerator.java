package org.blip4j.shapes;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes true captions for a scene from varied templates: lists of objects with exact counts, totals, spatial
 * relations, positions and sometimes the background; every caption is lower case and at most 20 words.
 */
final class CaptionGenerator {
    /** Longest caption, in words. */
    static final int MAX_WORDS = 20;

    private enum Detail {
        SHAPE,
        COLOR_SHAPE,
        FULL,
        COLOR
    }

    private record Key(SizeClass size, ShapeColor color, ShapeKind shape) {}

    /** One true caption. */
    Caption generate(Scene s, Rng rng) {
        for (int tries = 0; tries < 100; tries++) {
            Caption c;
            switch (rng.weighted(0.2, 0.15, 0.15, 0.1, 0.25, 0.15)) {
                case 0:
                    c = listCaption(s, rng, "");
                    break;
                case 1:
                    c = thereIs(s, rng);
                    break;
                case 2:
                    c = listCaption(
                            s, rng, rng.pick(new String[] {"a picture of", "an image of", "a drawing of", "a photo of"
                            }));
                    break;
                case 3:
                    c = total(s, rng);
                    break;
                case 4:
                    c = relation(s, rng);
                    break;
                default:
                    c = position(s, rng);
                    break;
            }
            if (c != null && c.wordCount() <= MAX_WORDS) {
                return c;
            }
        }
        return total(s, rng);
    }

    /** {@code n} different true captions (fewer only if the scene cannot be described in that many ways). */
    List<Caption> references(Scene s, Rng rng, int n) {
        Map<String, Caption> out = new LinkedHashMap<>();
        for (int tries = 0; out.size() < n && tries < 50 * n; tries++) {
            Caption c = generate(s, rng);
            out.putIfAbsent(c.text(), c);
        }
        return new ArrayList<>(out.values());
    }

    private Caption listCaption(Scene s, Rng rng, String prefix) {
        Caption.Builder b = new Caption.Builder();
        b.words(prefix);
        list(b, s, rng, detail(rng));
        if (rng.chance(0.3)) {
            background(b, s, rng);
        }
        return b.build();
    }

    private Caption thereIs(Scene s, Rng rng) {
        Caption.Builder b = new Caption.Builder();
        List<Map.Entry<Key, Integer>> groups = groups(s, rng, detail(rng));
        b.words(groups.get(0).getValue() == 1 ? "there is" : "there are");
        appendGroups(b, groups, rng);
        if (rng.chance(0.25)) {
            background(b, s, rng);
        }
        return b.build();
    }

    private Caption total(Scene s, Rng rng) {
        List<SceneObject> objs = s.objects();
        int n = objs.size();
        boolean sameColor = objs.stream().allMatch(o -> o.color() == objs.get(0).color());
        boolean sameShape = objs.stream().allMatch(o -> o.shape() == objs.get(0).shape());
        ShapeColor c = sameColor && n > 1 && rng.chance(0.5) ? objs.get(0).color() : null;
        ShapeKind k = sameShape && n > 1 && rng.chance(0.5) ? objs.get(0).shape() : null;
        Caption.Builder b = new Caption.Builder();
        if (rng.chance(0.3)) {
            b.words(n == 1 ? "there is" : "there are");
        }
        b.phrase(new Caption.Mention(n, true, null, c, k, style(rng, true)));
        if (n == 1 || rng.chance(0.6)) {
            background(b, s, rng);
        }
        return b.build();
    }

    private Caption relation(Scene s, Rng rng) {
        List<SceneObject> objs = s.objects();
        List<Object[]> options = new ArrayList<>();
        for (SceneObject a : objs) {
            for (SceneObject o : objs) {
                if (a == o) {
                    continue;
                }
                for (Relation r : Relation.values()) {
                    if (s.relation(a, r, o) == Relation.Truth.TRUE) {
                        options.add(new Object[] {a, r, o});
                    }
                }
            }
        }
        if (options.isEmpty()) {
            return null;
        }
        Object[] pick = rng.pick(options);
        SceneObject a = (SceneObject) pick[0];
        Relation r = (Relation) pick[1];
        SceneObject o = (SceneObject) pick[2];
        Caption.Builder b = new Caption.Builder();
        int form = rng.nextInt(3);
        if (form == 2) {
            b.words("there is");
        }
        int ma = b.phrase(describe(a, detail(rng), rng));
        if (form == 1) {
            b.words("is");
        }
        b.words(rng.pick(r.phrases()));
        int mb = b.phrase(describe(o, detail(rng), rng));
        b.claim(new Caption.Related(ma, r, mb));
        if (rng.chance(0.2)) {
            background(b, s, rng);
        }
        return b.build();
    }

    private Caption position(Scene s, Rng rng) {
        List<SceneObject> objs = new ArrayList<>(s.objects());
        rng.shuffle(objs);
        int n = objs.size() >= 2 && rng.chance(0.4) ? 2 : 1;
        Caption.Builder b = new Caption.Builder();
        if (rng.chance(0.25)) {
            b.words("there is");
        }
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                b.words("and");
            }
            SceneObject o = objs.get(i);
            int m = b.phrase(describe(o, detail(rng), rng));
            Region region = o.region(s.size());
            b.words(rng.pick(region.phrases()));
            b.claim(new Caption.Located(m, region));
        }
        return b.build();
    }

    /** Appends all objects as noun phrases with exact counts: "a red circle, two blue squares and a star". */
    private void list(Caption.Builder b, Scene s, Rng rng, Detail d) {
        appendGroups(b, groups(s, rng, d), rng);
    }

    private List<Map.Entry<Key, Integer>> groups(Scene s, Rng rng, Detail d) {
        List<SceneObject> objs = new ArrayList<>(s.objects());
        rng.shuffle(objs);
        Map<Key, Integer> groups = new LinkedHashMap<>();
        for (SceneObject o : objs) {
            groups.merge(key(o, d), 1, Integer::sum);
        }
        return new ArrayList<>(groups.entrySet());
    }

    private void appendGroups(Caption.Builder b, List<Map.Entry<Key, Integer>> groups, Rng rng) {
        for (int i = 0; i < groups.size(); i++) {
            if (i > 0) {
                b.words(i == groups.size() - 1 ? "and" : ",");
            }
            Key k = groups.get(i).getKey();
            b.phrase(new Caption.Mention(
                    groups.get(i).getValue(), true, k.size(), k.color(), k.shape(), style(rng, true)));
        }
    }

    private static Key key(SceneObject o, Detail d) {
        switch (d) {
            case SHAPE:
                return new Key(null, null, o.shape());
            case COLOR:
                return new Key(null, o.color(), null);
            case FULL:
                return new Key(o.size(), o.color(), o.shape());
            default:
                return new Key(null, o.color(), o.shape());
        }
    }

    /** An existential phrase for one object ("a red circle"). */
    private Caption.Mention describe(SceneObject o, Detail d, Rng rng) {
        Key k = key(o, d);
        return new Caption.Mention(1, false, k.size(), k.color(), k.shape(), style(rng, false));
    }

    private void background(Caption.Builder b, Scene s, Rng rng) {
        String w = s.background().word();
        b.words(rng.chance(0.8) ? "on a" : "against a").words(w).words("background");
        b.claim(new Caption.Backdrop(w));
    }

    private static Detail detail(Rng rng) {
        return Detail.values()[rng.weighted(0.2, 0.55, 0.2, 0.05)];
    }

    private static Caption.Style style(Rng rng, boolean exact) {
        int det = exact ? rng.weighted(0.8, 0.1, 0.1) : 0;
        int noun = rng.chance(0.75) ? 0 : 1;
        int color = rng.chance(0.8) ? 0 : 1;
        int size = rng.chance(0.7) ? 0 : 1;
        int generic = rng.nextInt(2);
        return new Caption.Style(det, noun, color, size, generic);
    }
}

package org.blip4j.shapes;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads captions back into what they claim, from the text alone (the word lists of the enums are its only link to
 * the generator): noun phrases with counts and attributes, positions, relations and the background.
 */
final class CaptionOracle {
    /** A noun phrase; null attributes were not said; {@code exact} for explicit counts above one or "a single". */
    record Np(int count, boolean exact, String size, String color, String shape, int start, int end) {
        /** The attributes a flip may change. */
        String differsFrom(Np o) {
            List<String> d = new ArrayList<>();
            if (count != o.count) {
                d.add("count");
            }
            if (!java.util.Objects.equals(color, o.color)) {
                d.add("color");
            }
            if (!java.util.Objects.equals(shape, o.shape)) {
                d.add("shape");
            }
            if (!java.util.Objects.equals(size, o.size)) {
                d.add("size");
            }
            return String.join("+", d);
        }
    }

    /** Everything a caption says. */
    record Parsed(
            List<Np> nps,
            Map<Integer, String> regions,
            List<Object[]> relations,
            String background,
            Set<Integer> covered,
            List<String> words) {}

    private static final Map<String, Integer> DETS = Map.of(
            "a", 1, "an", 1, "one", 1, "two", 2, "three", 3, "four", 4, "five", 5, "six", 6, "seven", 7, "eight", 8);
    private static final Set<String> GENERIC = Set.of("shape", "shapes", "object", "objects");
    private static final Set<String> BACKGROUNDS =
            Set.of("white", "black", "gray", "beige", "teal", "gradient", "striped");

    private CaptionOracle() {}

    static Parsed parse(String caption) {
        List<String> w = List.of(caption.replace(",", " , ").trim().split("\\s+"));
        List<Np> nps = new ArrayList<>();
        Map<Integer, String> regions = new java.util.HashMap<>();
        List<Object[]> relations = new ArrayList<>();
        Set<Integer> covered = new java.util.HashSet<>();
        String background = null;
        int i = 0;
        while (i < w.size()) {
            String d = w.get(i);
            if (!DETS.containsKey(d)) {
                i++;
                continue;
            }
            // background: "a white background"
            if (i + 2 < w.size()
                    && BACKGROUNDS.contains(w.get(i + 1))
                    && w.get(i + 2).equals("background")) {
                background = w.get(i + 1);
                covered.add(i + 1);
                i += 3;
                continue;
            }
            Np np = np(w, i);
            if (np == null) {
                i++;
                continue;
            }
            int npIndex = nps.size();
            nps.add(np);
            for (int k = np.start(); k < np.end(); k++) {
                covered.add(k);
            }
            i = np.end();
            // a position right after the phrase
            String region = region(w, i);
            if (region != null) {
                regions.put(npIndex, region);
                i += regionLength(w, i);
                continue;
            }
            // a relation to the next phrase
            int j = i;
            if (j < w.size() && w.get(j).equals("is")) {
                j++;
            }
            String rel = null;
            if (j + 3 < w.size()
                    && w.get(j).equals("to")
                    && w.get(j + 1).equals("the")
                    && (w.get(j + 2).equals("left") || w.get(j + 2).equals("right"))
                    && w.get(j + 3).equals("of")) {
                rel = w.get(j + 2);
                j += 4;
            } else if (j + 1 < w.size()
                    && (w.get(j).equals("left") || w.get(j).equals("right"))
                    && w.get(j + 1).equals("of")) {
                rel = w.get(j);
                j += 2;
            } else if (j < w.size()
                    && (w.get(j).equals("above")
                            || w.get(j).equals("below")
                            || w.get(j).equals("under"))) {
                rel = w.get(j).equals("under") ? "below" : w.get(j);
                j += 1;
            }
            if (rel != null) {
                Np other = j < w.size() ? np(w, j) : null;
                if (other == null) {
                    throw new AssertionError("relation without an object in \"" + caption + "\"");
                }
                nps.add(other);
                for (int k = other.start(); k < other.end(); k++) {
                    covered.add(k);
                }
                relations.add(new Object[] {npIndex, rel, nps.size() - 1});
                i = other.end();
            }
        }
        return new Parsed(nps, regions, relations, background, covered, w);
    }

    private static Np np(List<String> w, int i) {
        String d = w.get(i);
        Integer count = DETS.get(d);
        if (count == null) {
            return null;
        }
        int j = i + 1;
        boolean exact = count > 1;
        if (d.equals("a") && j < w.size() && w.get(j).equals("single")) {
            exact = true;
            j++;
        }
        String size = null;
        String color = null;
        if (j < w.size() && SizeClass.fromWord(w.get(j)) != null) {
            size = SizeClass.fromWord(w.get(j)).id();
            j++;
        }
        if (j < w.size() && ShapeColor.fromWord(w.get(j)) != null) {
            color = ShapeColor.fromWord(w.get(j)).id();
            j++;
        }
        if (j >= w.size()) {
            return null;
        }
        String noun = w.get(j);
        ShapeKind k = ShapeKind.fromWord(noun);
        if (k == null && !GENERIC.contains(noun)) {
            return null;
        }
        boolean plural = k != null ? k.plurals().contains(noun) : noun.endsWith("s");
        if (plural != (count > 1)) {
            throw new AssertionError("number disagreement: " + String.join(" ", w.subList(i, j + 1)));
        }
        return new Np(count, exact, size, color, k == null ? null : k.id(), i, j + 1);
    }

    /** The region named by the words at i ("on the left", "in the top right corner", ...), or null. */
    private static String region(List<String> w, int i) {
        int n = regionLength(w, i);
        if (n == 0) {
            return null;
        }
        List<String> p = w.subList(i, i + n);
        String v = p.contains("top") ? "top" : p.contains("bottom") ? "bottom" : "";
        String h = p.contains("left") ? "left" : p.contains("right") ? "right" : "";
        String r = (v + " " + h).trim();
        return r.isEmpty() ? "center" : r;
    }

    private static int regionLength(List<String> w, int i) {
        if (i + 1 >= w.size()
                || !Set.of("on", "at", "in").contains(w.get(i))
                || !w.get(i + 1).equals("the")) {
            return 0;
        }
        int j = i + 2;
        if (j >= w.size()) {
            return 0;
        }
        // "on the left" must not swallow "on the left of"
        if (Set.of("center", "middle").contains(w.get(j))) {
            return 3;
        }
        if (Set.of("top", "bottom").contains(w.get(j))) {
            j++;
            if (j < w.size() && Set.of("left", "right").contains(w.get(j))) {
                j++;
                if (j < w.size() && w.get(j).equals("corner")) {
                    j++;
                }
            }
            return j - i;
        }
        if (Set.of("left", "right").contains(w.get(j))
                && (j + 1 >= w.size() || !w.get(j + 1).equals("of"))) {
            return 3;
        }
        return 0;
    }

    /** Why the caption is false for the scene, or null if everything it says holds. */
    static String falsity(Parsed p, WorldFixture.World s) {
        for (Np np : p.nps()) {
            long n = s.count(np.size(), np.color(), np.shape());
            if (np.exact() ? n != np.count() : n < np.count()) {
                return "count of " + np + " is " + n;
            }
        }
        for (Map.Entry<Integer, String> e : p.regions().entrySet()) {
            Np np = p.nps().get(e.getKey());
            if (s.matching(np.size(), np.color(), np.shape()).stream()
                    .noneMatch(o -> s.region(o).equals(e.getValue()))) {
                return np + " not " + e.getValue();
            }
        }
        for (Object[] r : p.relations()) {
            Np a = p.nps().get((Integer) r[0]);
            Np b = p.nps().get((Integer) r[2]);
            boolean found = false;
            for (WorldFixture.Obj oa : s.matching(a.size(), a.color(), a.shape())) {
                for (WorldFixture.Obj ob : s.matching(b.size(), b.color(), b.shape())) {
                    found |= oa != ob && s.relationTrue(oa, (String) r[1], ob);
                }
            }
            if (!found) {
                return a + " not " + r[1] + " " + b;
            }
        }
        if (p.background() != null && !p.background().equals(s.bg())) {
            return "background is " + s.bg();
        }
        return null;
    }
}

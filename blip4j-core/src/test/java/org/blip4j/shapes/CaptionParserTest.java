package org.blip4j.shapes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link CaptionParser} reads the world's language, not the generator's strings: every generated caption reads back
 * to a caption that is true and false of exactly the scenes its structured original is; hand-written phrasings mean
 * what they say on hand-built scenes; malformed texts are unparseable, never an exception.
 */
class CaptionParserTest {
    private static final int SIDE = 96;

    /** An object at (x, y) of a 96 px image (only shape, colour, size and centre matter to the truth). */
    static SceneObject obj(ShapeKind k, ShapeColor c, SizeClass s, double x, double y) {
        double r = s == SizeClass.SMALL ? 9 : 15;
        return new SceneObject(k, c, s, x, y, r, 0, c.rgb(), x - r, y - r, x + r, y + r, Outline.STANDARD);
    }

    static Scene scene(BackgroundColor bg, SceneObject... objects) {
        return new Scene(SIDE, new Background(Background.Kind.SOLID, bg, null, 0, 0, 0), 0, 0, List.of(objects));
    }

    static Caption parsed(String text) {
        CaptionParser.Result r = CaptionParser.read(text);
        assertNotNull(r.caption(), () -> "\"" + text + "\" did not parse: " + r.problem());
        return r.caption();
    }

    @Test
    void everyGeneratedCaptionReadsBackToTheSameTruthOnItsOwnAndOtherScenes() {
        ShapesConfig cfg = ShapesConfig.defaults(5).withThreads(1);
        CaptionGenerator gen = new CaptionGenerator();
        int n = 2000;
        Scene[] scenes = new Scene[n];
        for (int i = 0; i < n; i++) {
            // all splits' streams and two seeds: the parser has seen none of these
            ShapesGenerator.Split sp = ShapesGenerator.Split.values()[i % 4];
            scenes[i] = ShapesGenerator.scene(i % 2 == 0 ? cfg : cfg.withSeed(77), sp, i);
        }
        int checked = 0;
        int falseElsewhere = 0;
        int merged = 0;
        for (int i = 0; i < n; i++) {
            Rng rng = Rng.of(3, 10, i);
            List<Caption> caps = new ArrayList<>(gen.references(scenes[i], rng, 5));
            // flipped web captions: structured captions that are false of their scene
            WebNoise.Flip f = WebNoise.flip(caps.get(0), scenes[i], rng);
            if (f != null) {
                caps.add(f.caption());
            }
            for (int k = 0; k < caps.size(); k++) {
                Caption p = parsed(caps.get(k).text());
                Caption c = together(caps.get(k));
                if (c != caps.get(k)) {
                    // only a flip can name one description twice ("two orange diamonds and an orange diamond")
                    assertEquals(5, k, c.text());
                    merged++;
                } else {
                    assertEquals(c.text(), p.text(), "reads back to the same words");
                }
                assertEquals(c.holds(scenes[i]), p.holds(scenes[i]), c.text());
                for (int d = 1; d <= 12; d++) {
                    Scene other = scenes[(i + d * 197) % n];
                    boolean truth = c.holds(other);
                    assertEquals(truth, p.holds(other), () -> "\"" + c.text() + "\" on " + other);
                    falseElsewhere += truth ? 0 : 1;
                    checked++;
                }
            }
        }
        assertTrue(checked > 12 * 5 * n, "checked " + checked);
        assertTrue(merged < n / 10, "merged " + merged);
        assertTrue(falseElsewhere > checked / 2, "most captions are false of other scenes: " + falseElsewhere);
    }

    /**
     * The caption with the plain-list mentions of one description counted together, as the parser reads a list that
     * names a description twice; the same caption object when no description repeats.
     */
    static Caption together(Caption c) {
        Set<Integer> inClaims = new java.util.HashSet<>();
        for (Caption.Claim cl : c.claims()) {
            if (cl instanceof Caption.Related r) {
                inClaims.add(r.a());
                inClaims.add(r.b());
            } else if (cl instanceof Caption.Located l) {
                inClaims.add(l.mention());
            }
        }
        Caption out = c;
        List<Caption.Mention> ms = c.mentions();
        for (int i = 0; i < ms.size(); i++) {
            int sum = 0;
            for (int j = 0; j < ms.size(); j++) {
                boolean same = ms.get(i).size() == ms.get(j).size()
                        && ms.get(i).color() == ms.get(j).color()
                        && ms.get(i).shape() == ms.get(j).shape();
                if (same && !inClaims.contains(i) && !inClaims.contains(j)) {
                    sum += ms.get(j).count();
                }
            }
            if (!inClaims.contains(i) && sum != ms.get(i).count()) {
                out = out.withMention(i, ms.get(i).withCount(sum));
            }
        }
        return out;
    }

    @Test
    void listsCountExactlyPositionsAndRelationsExistentially() {
        SceneObject redLeft = obj(ShapeKind.CIRCLE, ShapeColor.RED, SizeClass.SMALL, 16, 48);
        SceneObject redRight = obj(ShapeKind.CIRCLE, ShapeColor.RED, SizeClass.LARGE, 80, 48);
        SceneObject blueTop = obj(ShapeKind.SQUARE, ShapeColor.BLUE, SizeClass.LARGE, 48, 14);
        Scene two = scene(BackgroundColor.BEIGE, redLeft, redRight, blueTop);
        Scene one = scene(BackgroundColor.TEAL, redLeft, blueTop);

        assertTrue(parsed("two red circles and a blue square").holds(two));
        assertFalse(parsed("two red circles and a blue square").holds(one));
        assertFalse(parsed("a red circle and a blue square").holds(two), "a list counts exactly");
        assertTrue(parsed("a red circle and a blue square").holds(one));
        assertTrue(parsed("a red circle on the left").holds(two), "existential in a position");
        assertTrue(parsed("a red circle on the left").holds(one));
        assertFalse(parsed("a single red circle on the left").holds(two), "'a single' is exact");
        assertTrue(parsed("a red circle is to the left of a red disk").holds(two));
        assertFalse(parsed("a red circle is to the left of a red disk").holds(one), "needs two red circles");
        Scene stack = scene(
                BackgroundColor.WHITE,
                obj(ShapeKind.SQUARE, ShapeColor.BLUE, SizeClass.LARGE, 48, 14),
                obj(ShapeKind.CIRCLE, ShapeColor.RED, SizeClass.SMALL, 52, 60));
        assertTrue(parsed("a blue box above a red circle").holds(stack));
        assertFalse(parsed("a blue box below a red circle").holds(stack));
        assertTrue(parsed("a red circle under a big blue square").holds(stack));
        assertFalse(parsed("a blue box above a red circle").holds(two), "diagonal: not clearly above");
        assertTrue(parsed("three shapes on a beige background").holds(two));
        assertFalse(parsed("three shapes on a beige background").holds(one));
        assertFalse(parsed("two shapes on a beige background").holds(one), "the background is teal");
        assertTrue(parsed("two shapes against a teal background").holds(one));
        assertTrue(parsed("two red objects").holds(two));
        assertFalse(parsed("two red objects").holds(one));
        assertTrue(parsed("a little red circle in the middle")
                .holds(scene(BackgroundColor.WHITE, obj(ShapeKind.CIRCLE, ShapeColor.RED, SizeClass.SMALL, 48, 50))));
        assertFalse(parsed("a big red circle on the left").holds(two), "the big one is on the right");
        assertTrue(parsed("a big red circle on the right").holds(two));
        assertTrue(parsed("there is a blue square at the top").holds(two));
        assertFalse(parsed("there is a blue square at the bottom").holds(two));
        assertTrue(
                parsed("two red circles on the left")
                        .holds(scene(
                                BackgroundColor.WHITE,
                                obj(ShapeKind.CIRCLE, ShapeColor.RED, SizeClass.SMALL, 16, 40),
                                obj(ShapeKind.CIRCLE, ShapeColor.RED, SizeClass.SMALL, 20, 60))),
                "both on the left");
        assertFalse(parsed("two red circles on the left").holds(two), "only one of them is");
        assertFalse(parsed("no red objects").holds(one));
        assertTrue(parsed("no green objects").holds(one));
        // a list naming the same thing twice counts it twice
        assertTrue(parsed("a red circle, a blue square and a red circle").holds(two));
        assertFalse(parsed("a red circle, a blue square and a red circle").holds(one));
    }

    @Test
    void phrasingsWithinTheVocabulary() {
        Scene s = scene(
                BackgroundColor.GRAY,
                obj(ShapeKind.STAR, ShapeColor.YELLOW, SizeClass.LARGE, 16, 16),
                obj(ShapeKind.DIAMOND, ShapeColor.PURPLE, SizeClass.SMALL, 80, 80),
                obj(ShapeKind.ELLIPSE, ShapeColor.WHITE, SizeClass.SMALL, 16, 80));
        List<String> trueOnes = List.of(
                "A yellow star, a purple diamond and a white ellipse.",
                "there is a big yellow star in the top left corner",
                "a yellow star at the top left",
                "a yellow star in the top left",
                "a violet rhombus in the bottom right corner of the image",
                "the white oval is in the bottom left corner",
                "a white oval at the bottom left of the picture",
                "a yellow star is above the white ellipse",
                "the white ellipse is to the left of the violet rhombus",
                "an oval on the left of a diamond",
                "a diamond right of an oval",
                "an image of three shapes on a grey background",
                "a photo of a single yellow star, one purple diamond and an ellipse",
                "there are exactly three objects",
                "three objects, the background is gray",
                "the image contains a yellow star and a purple diamond",
                "a yellow star on a gray background; a white ellipse at the bottom left",
                "a yellow star and a white ellipse in the image",
                "there are three shapes: a yellow star, a purple diamond and a white ellipse",
                "a purple diamond at the bottom right and a yellow star at the top left",
                "a white small ellipse",
                "zero circles",
                "3 shapes",
                "an image with a yellow star which is above a white ellipse",
                "a white oval that is to the left of a purple diamond");
        for (String t : trueOnes) {
            assertTrue(parsed(t).holds(s), t);
            assertTrue(CaptionParser.holds(t, s), t);
        }
        List<String> falseOnes = List.of(
                "a yellow star, a purple diamond and a white circle",
                "a yellow star at the bottom",
                "a yellow star below a white ellipse",
                "a purple diamond to the left of a yellow star",
                "two yellow stars",
                "four shapes on a gray background",
                "three shapes on a striped background",
                "three shapes on a red background",
                "a small yellow star",
                "a white ellipse in the top left corner",
                "a white ellipse in the middle",
                "a white oval on the left side", // it is in the bottom left cell, not the left one
                "a yellow star left of a purple diamond",
                "there is a red circle");
        for (String t : falseOnes) {
            assertFalse(parsed(t).holds(s), t);
        }
    }

    @Test
    void malformedTextsAreUnparseableNeverAnException() {
        Scene s = scene(BackgroundColor.WHITE, obj(ShapeKind.CIRCLE, ShapeColor.RED, SizeClass.SMALL, 48, 48));
        List<String> bad = new ArrayList<>(List.of(
                "",
                "   ",
                ".",
                "a",
                "a red",
                "a red circle and",
                "a red circle ,",
                "red circle",
                "a circles",
                "two circle",
                "a red blue circle",
                "a small big circle",
                "a red circle circle",
                "a red circle left of",
                "a red circle above",
                "a red circle is",
                "a [UNK] circle",
                "a red ci rcle",
                "a picture of",
                "there is",
                "on a white background",
                "the circles",
                "a red circle on the",
                "a dog",
                "a red circle in the corner",
                "buy now best price",
                "img_1234.png",
                "a red circle and and a star",
                "a red circle 12 squares",
                "a red circle on the left of",
                "what color is the circle?",
                "a red circle ???",
                "a red circle, , a star",
                "a " + "red ".repeat(400) + "circle"));
        bad.add(null);
        for (String t : bad) {
            CaptionParser.Result r = CaptionParser.read(t);
            assertFalse(r.ok(), () -> "\"" + t + "\" parsed as " + r.caption());
            assertNotNull(r.problem());
            assertFalse(CaptionParser.holds(t, s), t);
            assertTrue(CaptionParser.parse(t).isEmpty());
        }
        assertTrue(
                CaptionParser.read("a red circle on the left of").problem().contains("at the end"),
                CaptionParser.read("a red circle on the left of").problem());
    }

    @Test
    void randomWordSequencesAndMutilatedCaptionsNeverThrow() {
        List<String> vocab = new ArrayList<>(ShapesVocabulary.words());
        vocab.addAll(List.of(",", ".", "[UNK]", "[SEP]", "##s", "4", "12"));
        SplittableRandom r = new SplittableRandom(42);
        CaptionGenerator gen = new CaptionGenerator();
        ShapesConfig cfg = ShapesConfig.defaults(9);
        Scene[] pool = new Scene[100];
        for (int i = 0; i < pool.length; i++) {
            pool[i] = ShapesGenerator.scene(cfg, ShapesGenerator.Split.TEST, i);
        }
        int parsedOk = 0;
        for (int i = 0; i < 4000; i++) {
            String text;
            if (i % 2 == 0) {
                StringBuilder sb = new StringBuilder();
                for (int k = r.nextInt(1, 14); k > 0; k--) {
                    sb.append(vocab.get(r.nextInt(vocab.size()))).append(' ');
                }
                text = sb.toString();
            } else {
                Scene sc = pool[i % pool.length];
                List<String> words = new ArrayList<>(
                        List.of(gen.generate(sc, Rng.of(1, 2, i)).text().split(" ")));
                switch (r.nextInt(3)) {
                    case 0 -> words.remove(r.nextInt(words.size()));
                    case 1 -> words.add(r.nextInt(words.size() + 1), vocab.get(r.nextInt(vocab.size())));
                    default -> words = words.subList(0, r.nextInt(1, words.size() + 1));
                }
                text = String.join(" ", words);
            }
            CaptionParser.Result res = CaptionParser.read(text);
            String t = text;
            assertTrue(res.ok() || !res.problem().startsWith("internal"), () -> t + ": " + res.problem());
            if (res.ok()) {
                parsedOk++;
                res.caption().holds(pool[(i + 1) % pool.length]);
                assertFalse(res.caption().text().isEmpty());
            }
        }
        assertTrue(parsedOk > 100 && parsedOk < 3000, "parsed " + parsedOk);
    }

    @Test
    void backgroundWordsAreTheWorlds() {
        Scene striped = new Scene(
                SIDE,
                new Background(Background.Kind.STRIPES, BackgroundColor.BEIGE, null, 45, 9, -30),
                0,
                0,
                List.of(obj(ShapeKind.CROSS, ShapeColor.BLACK, SizeClass.LARGE, 48, 48)));
        assertTrue(parsed("a black plus on a striped background").holds(striped));
        assertFalse(parsed("a black plus on a beige background").holds(striped));
        assertTrue(parsed("a black cross in the center against a striped background")
                .holds(striped));
        assertEquals(
                Set.of("striped"),
                Set.copyOf(parsed("a cross on a striped background").claims().stream()
                        .filter(c -> c instanceof Caption.Backdrop)
                        .map(c -> ((Caption.Backdrop) c).word())
                        .toList()));
    }
}

package org.blip4j.shapes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.blip4j.data.CaptionDataset;
import org.blip4j.data.Dataset;
import org.blip4j.data.ImageTransform;
import org.blip4j.data.Pixels;
import org.junit.jupiter.api.Test;

class HardNegativesTest {
    private static final ShapesStream STREAM = new ShapesStream(7, 64, 96, 0.3, 4, 0);
    private static final ImageTransform TINY = (img, rng) -> new Pixels(1, 1, new float[3]);

    /** What a caption names, order aside: its colours, shapes and counts (a swap keeps them, reordered). */
    private static List<String> named(Caption c) {
        List<String> out = new ArrayList<>();
        for (Caption.Mention m : c.mentions()) {
            out.add("colour " + m.color());
            out.add("shape " + m.shape());
            out.add("count " + m.count());
        }
        out.sort(null);
        return out;
    }

    @Test
    void negativesAreFalseForTheirSceneWhileTheTruthHolds() {
        Map<HardNegatives.Kind, Integer> kinds = new EnumMap<>(HardNegatives.Kind.class);
        int none = 0;
        for (int i = 0; i < 400; i++) {
            ShapesStream.Draw d = STREAM.draw(new SplittableRandom(i));
            Caption truth = d.structuredCaption();
            HardNegatives.Negative n = HardNegatives.of(truth, d.scene(), new Rng(i));
            if (n == null) {
                none++;
                continue;
            }
            kinds.merge(n.kind(), 1, Integer::sum);
            assertTrue(truth.holds(d.scene()), truth.text());
            assertTrue(n.caption().contradicts(d.scene()), n.caption().text() + " should be false for " + d.scene());
            assertFalse(CaptionParser.holds(n.caption().text(), d.scene()), "the parser reads it as false too");
            assertNotEquals(truth.text(), n.caption().text());
            assertEquals(truth.mentions().size(), n.caption().mentions().size());
            if (n.kind() == HardNegatives.Kind.REGION || n.kind() == HardNegatives.Kind.BACKGROUND) {
                assertEquals(named(truth), named(n.caption()), "the same objects, elsewhere or on another background");
                assertNotEquals(truth.claims(), n.caption().claims());
                continue;
            }
            int changed = 0; // one noun phrase changed (a flip) or two (a swap), never more
            for (int k = 0; k < truth.mentions().size(); k++) {
                changed += truth.mentions().get(k).equals(n.caption().mentions().get(k)) ? 0 : 1;
            }
            assertEquals(n.kind() == HardNegatives.Kind.FLIP ? 1 : 2, changed, n.toString());
            if (n.kind() != HardNegatives.Kind.FLIP) { // swaps reorder what it names, which is now false
                assertEquals(
                        named(truth),
                        named(n.caption()),
                        truth.text() + " / " + n.caption().text());
            }
        }
        assertTrue(none < 20, none + " of 400 captions had no false variant");
        for (HardNegatives.Kind k : HardNegatives.Kind.values()) {
            assertTrue(kinds.getOrDefault(k, 0) >= 20, "kind " + k + " drawn " + kinds.get(k) + " times: " + kinds);
        }
    }

    private static SceneObject object(ShapeKind k, ShapeColor c, double x) {
        double r = 10;
        return new SceneObject(k, c, SizeClass.LARGE, x, 48, r, 0, c.rgb(), x - r, 38, x + r, 58, Outline.STANDARD);
    }

    @Test
    void aSwapOfPlacesReversesARelation() {
        // a red circle left of a blue square (hand-built): trading the phrases says the blue square is left of it
        Scene s = new Scene(
                96,
                new Background(Background.Kind.SOLID, BackgroundColor.values()[0], null, 0, 0, 0),
                0,
                0,
                List.of(object(ShapeKind.CIRCLE, ShapeColor.RED, 20), object(ShapeKind.SQUARE, ShapeColor.BLUE, 76)));
        Caption truth =
                CaptionParser.parse("a red circle to the left of a blue square").orElseThrow();
        assertTrue(truth.holds(s));
        boolean sawReversal = false;
        for (int seed = 0; seed < 50; seed++) {
            HardNegatives.Negative n = HardNegatives.of(truth, s, new Rng(seed));
            assertNotNull(n);
            assertTrue(n.caption().contradicts(s), n.caption().text());
            sawReversal |= n.caption().text().equals("a blue square to the left of a red circle");
        }
        assertTrue(sawReversal, "trading places should reverse the relation");
    }

    @Test
    void theStreamAttachesNegativesAtTheRateAskedWithoutChangingItsImagesOrCaptions() throws Exception {
        Dataset<CaptionDataset.Sample> plain = StreamDatasets.captions(STREAM, 100, TINY, "");
        Dataset<CaptionDataset.Sample> half = StreamDatasets.captions(STREAM, 100, TINY, "", 0.5);
        int with = 0;
        for (int i = 0; i < 200; i++) {
            CaptionDataset.Sample a = plain.load(i, new SplittableRandom(i));
            CaptionDataset.Sample b = half.load(i, new SplittableRandom(i));
            assertNull(a.negative());
            assertEquals(a.caption(), b.caption());
            assertEquals(a.imageId(), b.imageId());
            if (b.negative() != null) {
                with++;
                ShapesStream.Draw d = STREAM.draw(new SplittableRandom(i));
                assertFalse(CaptionParser.holds(b.negative(), d.scene()), b.negative());
            }
        }
        assertTrue(with > 70 && with < 130, with + " of 200 samples carried a negative at rate 0.5");
        assertThrows(IllegalArgumentException.class, () -> StreamDatasets.captions(STREAM, 100, TINY, "", 1.5));
    }

    @Test
    void aJudgedStreamBatchKnowsWhichCaptionsHoldForWhichImages() throws Exception {
        Dataset<CaptionDataset.Sample> plain = StreamDatasets.captions(STREAM, 100, TINY, "");
        Dataset<CaptionDataset.Sample> judged = StreamDatasets.captions(STREAM, 100, TINY, "", 0, true);
        List<CaptionDataset.Sample> samples = new ArrayList<>();
        List<Scene> scenes = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            CaptionDataset.Sample a = plain.load(i, new SplittableRandom(i));
            CaptionDataset.Sample b = judged.load(i, new SplittableRandom(i));
            assertNull(a.world());
            assertEquals(a.caption(), b.caption()); // the same stream, only judged
            assertEquals(a.imageId(), b.imageId());
            assertTrue(b.world().textHoldsFor(b.world()), b.caption()); // a caption holds for its own scene
            samples.add(b);
            scenes.add(STREAM.draw(new SplittableRandom(i)).scene());
        }
        assertNull(org.blip4j.data.Collate.captions(null, org.blip4j.data.TextEncoding.RETRIEVAL)
                .apply(List.of(plain.load(0, new SplittableRandom(0))))
                .knownTrue());
        boolean[][] known = org.blip4j.data.Collate.captions(null, org.blip4j.data.TextEncoding.RETRIEVAL)
                .apply(samples)
                .knownTrue();
        int trueOthers = 0;
        for (int i = 0; i < samples.size(); i++) {
            assertFalse(known[i][i], "the diagonal is the positive pair, not a known-true negative");
            for (int j = 0; j < samples.size(); j++) {
                if (i != j) { // judged again from the caption's words, through the parser
                    assertEquals(
                            CaptionParser.holds(samples.get(j).caption(), scenes.get(i)),
                            known[i][j],
                            samples.get(j).caption() + " for image " + i);
                    trueOthers += known[i][j] ? 1 : 0;
                }
            }
        }
        assertTrue(trueOthers > 0, "another image's caption holds for some image of 48");
    }
}

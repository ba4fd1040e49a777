package org.blip4j.shapes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.blip4j.data.CaptionDataset;
import org.blip4j.data.Dataset;
import org.blip4j.data.ImageTransform;
import org.blip4j.data.Pixels;
import org.blip4j.data.VqaDataset;
import org.blip4j.image.RgbImage;
import org.junit.jupiter.api.Test;

class ShapesStreamTest {
    private static final ShapesStream STREAM = new ShapesStream(5, 64, 128, 0.3, 4, 0);

    @Test
    void drawsAreAPureFunctionOfTheirRandomSource() {
        for (int i = 0; i < 20; i++) {
            ShapesStream.Draw a = STREAM.draw(new SplittableRandom(i));
            ShapesStream.Draw b = STREAM.draw(new SplittableRandom(i));
            assertEquals(a.scene(), b.scene());
            assertArrayEquals(a.image().rgb(), b.image().rgb());
            assertEquals(a.caption(), b.caption());
        }
        assertNotEquals(
                STREAM.draw(new SplittableRandom(1)).scene(),
                STREAM.draw(new SplittableRandom(2)).scene());
    }

    @Test
    void imagesAreTheRenderedScenesAtTheDrawnSideAndCaptionsHold() {
        Set<Integer> sides = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            ShapesStream.Draw d = STREAM.draw(new SplittableRandom(100 + i));
            int side = d.scene().size();
            sides.add(side);
            assertTrue(side >= 64 && side <= 128, "side " + side);
            assertEquals(side, d.image().width());
            assertEquals(side, d.image().height());
            Caption c = d.structuredCaption();
            assertTrue(c.holds(d.scene()), c.text() + " should hold for " + d.scene());
            Question q = d.question(4);
            if (q != null) {
                assertTrue(q.annotators().stream().filter(q.answer()::equals).count() >= 8, q.toString());
            }
        }
        assertTrue(sides.size() > 20, "sides should vary: " + sides);
    }

    @Test
    void aliasedDrawsDifferOnlyInEdges() {
        Scene s = STREAM.pooled(0).scene();
        RgbImage smooth = ShapesStream.rgb(SceneRenderer.render(s, true));
        RgbImage hard = ShapesStream.rgb(SceneRenderer.render(s, false));
        assertFalse(java.util.Arrays.equals(smooth.rgb(), hard.rgb()));
        assertArrayEquals(ShapesStream.rgb(SceneRenderer.render(s)).rgb(), smooth.rgb());
    }

    @Test
    void styledDrawsKeepTheSceneAndDrawItsOutlinesWithOtherProportions() {
        ShapesStream styled = new ShapesStream(5, 64, 128, 0.3, 4, 0, 0, 1);
        int differ = 0;
        for (int i = 0; i < 40; i++) {
            ShapesStream.Draw a = STREAM.draw(new SplittableRandom(i));
            ShapesStream.Draw b = styled.draw(new SplittableRandom(i));
            assertEquals(a.scene().objects().size(), b.scene().objects().size());
            for (int k = 0; k < a.scene().objects().size(); k++) {
                SceneObject o = b.scene().objects().get(k);
                assertEquals(Outline.STANDARD, a.scene().objects().get(k).outline());
                // the same object (kind, colour, size, place, rotation) with other proportions
                assertEquals(a.scene().objects().get(k).withOutline(o.outline()), o);
                assertNotEquals(Outline.STANDARD, o.outline());
            }
            // the same background, drawn with its own RGB (within ±12 of the named colour) and stripe bands
            Background bg = b.scene().background();
            assertEquals(a.scene().background(), bg.withLook(null));
            for (int sh = 16; sh >= 0; sh -= 8) {
                int d = ((bg.look().rgb() >> sh) & 255) - ((bg.color().rgb() >> sh) & 255);
                assertTrue(Math.abs(d) <= 12, "channel shift " + d);
            }
            assertTrue(
                    bg.look().band() >= 0.5 && bg.look().band() <= 1,
                    "band " + bg.look().band());
            Caption c = b.structuredCaption();
            assertTrue(c.holds(b.scene()), c.text());
            differ += java.util.Arrays.equals(a.image().rgb(), b.image().rgb()) ? 0 : 1;
            ShapesStream.Draw again = styled.draw(new SplittableRandom(i));
            assertEquals(b.scene(), again.scene());
            assertArrayEquals(b.image().rgb(), again.image().rgb());
        }
        assertEquals(40, differ);
        assertThrows(IllegalArgumentException.class, () -> new ShapesStream(1, 96, 96, 0, 4, 0, 0, 1.5));
    }

    @Test
    void aBackgroundsLookSetsItsColoursAndStripeBands() {
        Background stripes = new Background(Background.Kind.STRIPES, BackgroundColor.BEIGE, null, 0, 10, -30);
        Background.Look look = new Background.Look(0x102030, 0, 0.5);
        Background drawn = stripes.withLook(look);
        // angle 0: bands are columns; without a look 10 px wide, with band 0.5 5 px wide
        assertEquals(BackgroundColor.BEIGE.rgb(), stripes.rgbAt(9, 0, 64));
        assertEquals(Background.shade(BackgroundColor.BEIGE.rgb(), -30), stripes.rgbAt(10, 0, 64));
        assertEquals(0x102030, drawn.rgbAt(4, 0, 64));
        assertEquals(Background.shade(0x102030, -30), drawn.rgbAt(5, 0, 64));
        assertEquals(0x102030, drawn.rgbAt(10, 0, 64));
        Background solid = new Background(Background.Kind.SOLID, BackgroundColor.TEAL, null, 0, 0, 0);
        assertEquals(
                0x405060, solid.withLook(new Background.Look(0x405060, 0, 1)).rgbAt(3, 7, 64));
        assertEquals("teal", solid.withLook(new Background.Look(0x405060, 0, 1)).word());
    }

    @Test
    void outlinesHaveTheProportionsTheyName() {
        // rotation 0, radius 10, centre (50, 50): the bounds are the unit outline's extent times 10 (times the scale)
        java.awt.geom.Rectangle2D r = ShapeKind.RECTANGLE.path(50, 50, 10, 0).getBounds2D();
        assertEquals(22, r.getWidth(), 1e-9);
        assertEquals(10, r.getHeight(), 1e-9);
        Outline o = new Outline(1.1, 0.55, 0.7, 0.6, 0.5, 0.25);
        r = ShapeKind.RECTANGLE.path(50, 50, 10, 0, o).getBounds2D();
        assertEquals(1.1 * 22, r.getWidth(), 1e-9);
        assertEquals(1.1 * 11, r.getHeight(), 1e-9);
        r = ShapeKind.ELLIPSE.path(50, 50, 10, 0, o).getBounds2D();
        assertEquals(1.1 * 14, r.getHeight(), 1e-9);
        r = ShapeKind.DIAMOND.path(50, 50, 10, 0, o).getBounds2D();
        assertEquals(1.1 * 12, r.getWidth(), 1e-9);
        assertEquals(1.1 * 22, r.getHeight(), 1e-9);
        r = ShapeKind.CROSS.path(50, 50, 10, 0, o).getBounds2D();
        assertEquals(1.1 * 20, r.getWidth(), 1e-9);
        // a cross's arm: at x = centre + 0.2 * 11 the arm spans ±0.25 * 11 vertically, no more
        assertTrue(ShapeKind.CROSS.path(50, 50, 10, 0, o).contains(50 + 8, 50 + 2.6));
        assertFalse(ShapeKind.CROSS.path(50, 50, 10, 0, o).contains(50 + 8, 50 + 2.9));
        // a star's inner corner at angle -90 + 36: radius 0.5 * 11
        double a = Math.toRadians(-54);
        assertTrue(ShapeKind.STAR.path(50, 50, 10, 0, o).contains(50 + 5.3 * Math.cos(a), 50 + 5.3 * Math.sin(a)));
        assertFalse(ShapeKind.STAR.path(50, 50, 10, 0, o).contains(50 + 5.7 * Math.cos(a), 50 + 5.7 * Math.sin(a)));
        for (int i = 0; i < 200; i++) {
            Outline x = Outline.random(new Rng(i));
            double rect = 1.1 / x.rectangleHalfHeight();
            double ell = 1.1 / x.ellipseHalfHeight();
            assertTrue(rect >= 1.8 - 1e-9 && rect <= 2.5 + 1e-9, "rectangle " + rect);
            assertTrue(ell >= 1.5 - 1e-9 && ell <= 2.1 + 1e-9, "ellipse " + ell);
            assertTrue(x.scale() >= 0.9 && x.scale() <= 1.1, "scale " + x.scale());
        }
    }

    @Test
    void aPoolRepeatsItsScenesWithTheirPixels() {
        ShapesStream pool = new ShapesStream(5, 96, 96, 0, 4, 8);
        Set<Scene> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            ShapesStream.Draw d = pool.draw(new SplittableRandom(i));
            seen.add(d.scene());
            assertTrue(d.structuredCaption().holds(d.scene()));
        }
        assertEquals(8, seen.size());
        for (int i = 0; i < 8; i++) {
            assertArrayEquals(
                    pool.pooled(i).image().rgb(), pool.pooled(i).image().rgb());
        }
    }

    @Test
    void datasetsPairEachImageWithItsOwnTextAndSceneIds() throws Exception {
        ImageTransform keep = (img, rng) -> new Pixels(1, 1, new float[] {img.width(), 0, 0}); // records the side only
        ShapesStream pool = new ShapesStream(9, 64, 128, 0, 4, 4);
        Dataset<CaptionDataset.Sample> caps = StreamDatasets.captions(pool, 50, keep, "a picture of ");
        for (int i = 0; i < 50; i++) {
            CaptionDataset.Sample s = caps.load(i, new SplittableRandom(i));
            ShapesStream.Draw d = pool.draw(new SplittableRandom(i)); // the same draw as the dataset's
            assertEquals(d.scene().size(), (int) s.pixels().chw()[0]);
            assertEquals(d.scene().hashCode() & Integer.MAX_VALUE, s.imageId());
            assertTrue(s.caption().startsWith("a picture of "));
        }
        Dataset<VqaDataset.Sample> vqa = StreamDatasets.vqa(pool, 50, keep);
        for (int i = 0; i < 50; i++) {
            VqaDataset.Sample s = vqa.load(i, new SplittableRandom(i));
            float sum = 0;
            for (float w : s.weights()) {
                sum += w;
            }
            assertEquals(1f, sum, 1e-5);
            assertTrue(
                    ShapesVocabulary.answers(4).containsAll(s.answers()),
                    s.answers().toString());
        }
    }

    /** Question types of {@code n} stream draws with these weights, counted by type. */
    private static int[] typeCounts(double[] weights, int n) {
        int[] c = new int[Question.Type.values().length];
        for (int i = 0; i < n; i++) {
            Question q = STREAM.draw(new SplittableRandom(i)).question(4, weights);
            if (q != null) {
                c[q.type().ordinal()]++;
            }
        }
        return c;
    }

    @Test
    void questionTypeWeightsSetTheMixOfDrawnQuestions() {
        int n = 600;
        int rel = Question.Type.RELATION.ordinal();
        int[] even = typeCounts(null, n);
        int[] more = typeCounts(Question.typeWeights(java.util.Map.of("relation", 4.0)), n);
        int[] none = typeCounts(Question.typeWeights(java.util.Map.of("relation", 0.0)), n);
        int[] only = typeCounts(
                Question.typeWeights(java.util.Map.of("color", 0.0, "shape", 0.0, "count", 0.0, "exist", 0.0)), n);
        assertTrue(even[rel] > n / 20, "relation questions drawn evenly: " + java.util.Arrays.toString(even));
        assertTrue(
                more[rel] > 2 * even[rel], java.util.Arrays.toString(more) + " vs " + java.util.Arrays.toString(even));
        assertEquals(0, none[rel], java.util.Arrays.toString(none));
        assertEquals(java.util.Arrays.stream(only).sum(), only[rel], java.util.Arrays.toString(only));
    }

    @Test
    void badQuestionTypeWeightsAreRefusedByName() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> Question.typeWeights(java.util.Map.of("relations", 2.0)));
        assertTrue(e.getMessage().contains("'relations'") && e.getMessage().contains("relation"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Question.typeWeights(java.util.Map.of("count", -1.0)));
        assertTrue(e.getMessage().contains("count"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> Question.typeWeights(
                        java.util.Map.of("color", 0.0, "shape", 0.0, "count", 0.0, "exist", 0.0, "relation", 0.0)));
        assertTrue(e.getMessage().contains("all 0"), e.getMessage());
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ShapesStream(1, 16, 96, 0, 4, 0));
        assertThrows(IllegalArgumentException.class, () -> new ShapesStream(1, 96, 64, 0, 4, 0));
        assertThrows(IllegalArgumentException.class, () -> new ShapesStream(1, 96, 96, 1.5, 4, 0));
        assertThrows(IllegalArgumentException.class, () -> new ShapesStream(1, 96, 96, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new ShapesStream(1, 96, 96, 0, 4, -1));
    }
}

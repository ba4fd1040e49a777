package org.blip4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.blip4j.shapes.Background;
import org.blip4j.shapes.BackgroundColor;
import org.blip4j.shapes.CaptionParser;
import org.blip4j.shapes.Scene;
import org.blip4j.shapes.SceneObject;
import org.blip4j.shapes.ShapeColor;
import org.blip4j.shapes.ShapeKind;
import org.blip4j.shapes.SizeClass;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Truth metrics on hand-built scenes, with expected values counted by hand. */
class ShapesTruthTest {
    static SceneObject obj(ShapeKind k, ShapeColor c, SizeClass s, double x, double y) {
        return new SceneObject(
                k, c, s, x, y, 10, 0, c.rgb(), x - 10, y - 10, x + 10, y + 10, org.blip4j.shapes.Outline.STANDARD);
    }

    static Scene scene(SceneObject... objects) {
        return new Scene(
                96,
                new Background(Background.Kind.SOLID, BackgroundColor.BEIGE, null, 0, 0, 0),
                0,
                0,
                List.of(objects));
    }

    /** A red circle on the left, a blue square on the right (same height). */
    static final Scene A = scene(
            obj(ShapeKind.CIRCLE, ShapeColor.RED, SizeClass.SMALL, 16, 48),
            obj(ShapeKind.SQUARE, ShapeColor.BLUE, SizeClass.LARGE, 80, 48));
    /** A green star in the middle. */
    static final Scene B = scene(obj(ShapeKind.STAR, ShapeColor.GREEN, SizeClass.LARGE, 48, 48));
    /** Two red triangles, top left and bottom left. */
    static final Scene C = scene(
            obj(ShapeKind.TRIANGLE, ShapeColor.RED, SizeClass.SMALL, 16, 16),
            obj(ShapeKind.TRIANGLE, ShapeColor.RED, SizeClass.SMALL, 16, 80));

    @Test
    void captionTruthRateAndWordAccuracy() {
        List<Scene> scenes = List.of(A, A, B, B, C, C);
        List<String> caps = List.of(
                "a red circle and a blue square", // true; shape words: red->circle, blue->square; colours likewise
                "a red star left of a blue square", // false; red object is a circle: circle judged as star
                "a green star on a beige background", // true
                "a star star", // unparseable
                "two red triangles", // true; both judged (shape and colour)
                "a red circle at the top left"); // false; the red object at the top left is a triangle
        ShapesTruth.CaptionTruth t = ShapesTruth.captions(scenes, caps);
        assertEquals(3.0 / 6, t.truthRate(), 1e-12);
        assertEquals(5.0 / 6, t.parseRate(), 1e-12);
        assertFalse(t.verdicts().get(3).parsed());
        assertTrue(t.verdicts().get(3).problem() != null);
        // shape words judged: circle, square | star(circle), square | star | - | triangle x2 | circle(triangle) = 8
        assertEquals(8, t.shapeWords());
        assertEquals(6, t.shapeWordsRight());
        assertEquals(1, t.shapes().count(ShapesTruth.SHAPES.indexOf("circle"), ShapesTruth.SHAPES.indexOf("star")));
        assertEquals(1, t.shapes().count(ShapesTruth.SHAPES.indexOf("triangle"), ShapesTruth.SHAPES.indexOf("circle")));
        // colour words judged: red circle, blue square | (red star: no star -> not judged), blue square | green star |
        // - | red triangles x2 | (red circle: no circle at the top left -> not judged) = 6, all right
        assertEquals(6, t.colorWords());
        assertEquals(6, t.colorWordsRight());
        Map<String, Double> m = t.metrics();
        assertEquals(0.5, m.get("truth_rate"), 1e-12);
        assertEquals(0.75, m.get("shape_word_accuracy"), 1e-12);
        assertEquals(1.0, m.get("color_word_accuracy"), 1e-12);
        assertEquals(8.0, m.get("shape_words_judged"));
        assertThrows(IllegalArgumentException.class, () -> ShapesTruth.captions(List.of(A), List.of()));
    }

    @Test
    void vqaPerTypeAndConfusion() {
        List<String> types = List.of("shape", "shape", "color", "count", "count", "exist");
        List<List<String>> answers =
                List.of(ten("star"), ten("circle"), ten("red"), ten("2"), ten("0"), withMistakes("yes", "no", 2));
        List<String> preds = List.of("star", "square", "red", "two", "1", "yes");
        ShapesTruth.VqaTruth v = ShapesTruth.vqa(types, preds, answers);
        assertEquals(50.0, v.byType().get("shape"), 1e-9);
        assertEquals(100.0, v.byType().get("color"), 1e-9);
        assertEquals(50.0, v.byType().get("count"), 1e-9, "'two' normalises to 2");
        assertEquals(100.0, v.byType().get("exist"), 1e-9, "8 of 10 annotators agree: accuracy 100");
        assertEquals(2, v.questionsByType().get("count"));
        assertEquals((100 + 0 + 100 + 100 + 0 + 100) / 6.0, v.accuracy(), 1e-9);
        assertEquals(VqaAccuracy.overall(preds, answers), v.accuracy(), 1e-9);
        assertEquals(2, v.shapes().total());
        assertEquals(1, v.shapes().count(ShapesTruth.SHAPES.indexOf("circle"), ShapesTruth.SHAPES.indexOf("square")));
        assertEquals(1, v.colors().total());
        assertEquals(50.0, v.metrics().get("vqa_accuracy_shape"), 1e-9);
        assertEquals(2.0, v.metrics().get("vqa_questions_shape"));
        // an answer that is no shape word lands in the "other" column
        ShapesTruth.VqaTruth o = ShapesTruth.vqa(List.of("shape"), List.of("blue"), List.of(ten("star")));
        assertEquals(1, o.shapes().count(ShapesTruth.SHAPES.indexOf("star"), ShapesTruth.SHAPES.size()));
    }

    @Test
    void retrievalTruthCountsAnImageThatSatisfiesTheQuery() {
        List<Scene> images = List.of(A, B, C);
        List<String> texts =
                List.of("a red circle", "a shape", "two red shapes", "a purple hexagon", "not a caption ]");
        // texts x images: text 0 ranks C first (false), A second; text 1 ranks B first (true: exactly one shape);
        // text 2 ranks C first (true); text 3 is true of no image; text 4 does not parse
        double[][] t2i = {{0.5, 0.1, 0.9}, {0.2, 0.8, 0.1}, {0.1, 0.2, 0.7}, {0.9, 0.1, 0.1}, {0.9, 0.1, 0.1}};
        // images x texts: A ranks text 3 first (false) then text 0 (true); B ranks text 1 first (true); C text 4 (bad)
        double[][] i2t = {{0.5, 0.0, 0.0, 0.9, 0.0}, {0.0, 0.9, 0.0, 0.0, 0.0}, {0.0, 0.0, 0.0, 0.0, 0.9}};
        ShapesTruth.RetrievalTruth r = ShapesTruth.retrieval(images, texts, i2t, t2i);
        assertEquals(4, r.textQueries());
        assertEquals(1, r.unparseable());
        assertEquals(100.0 * 2 / 4, r.textToImage1(), 1e-9);
        assertEquals(100.0 * 3 / 4, r.textToImage5(), 1e-9);
        assertEquals(100.0 / 3, r.imageToText1(), 1e-9);
        // C: text 4 (bad), then the tied texts from the highest index: 3 ("a purple hexagon", false), 2 (true)
        assertEquals(100.0, r.imageToText5(), 1e-9);
        assertEquals(
                Map.of(
                        "txt_truth1",
                        100.0 / 3,
                        "txt_truth5",
                        100.0,
                        "img_truth1",
                        50.0,
                        "img_truth5",
                        75.0,
                        "img_truth1_objects",
                        50.0),
                r.metrics());
        assertEquals(List.of(2, 1, 0), toList(ShapesTruth.top(new double[] {0.5, 0.5, 0.7}, 5)), "ties: higher index");
        ShapesTruth.RetrievalTruth noI2t = ShapesTruth.retrieval(images, texts, null, t2i);
        assertFalse(noI2t.metrics().containsKey("txt_truth1"));
    }

    @Test
    void retrievalTruthByQueryKind() {
        List<Scene> images = List.of(A, B, C);
        List<String> texts = List.of("a red circle to the left of a shape", "a shape in the center", "a shape");
        assertEquals(
                "relation",
                ShapesTruth.queryKind(CaptionParser.parse(texts.get(0)).orElseThrow()));
        assertEquals(
                "position",
                ShapesTruth.queryKind(CaptionParser.parse(texts.get(1)).orElseThrow()));
        assertEquals(
                "objects",
                ShapesTruth.queryKind(CaptionParser.parse(texts.get(2)).orElseThrow()));
        // the relation query's top image is A (true), the position query's B (its star is in the centre: true), the
        // last query's A ("a shape" counts one, A has two: false)
        int[][] ranking = {{0, 1, 2}, {1, 0, 2}, {0, 1, 2}};
        ShapesTruth.RetrievalTruth r = ShapesTruth.retrieval(images, texts, ranking, null);
        assertEquals(Map.of("relation", 100.0, "position", 100.0, "objects", 0.0), r.textToImage1ByKind());
        assertEquals(r.textToImage1ByKind().get("relation"), r.metrics().get("img_truth1_relation"));
    }

    @Test
    void confusionMatricesAsJsonAndPng(@TempDir Path tmp) throws Exception {
        ConfusionMatrix m = new ConfusionMatrix("shapes", List.of("circle", "square"));
        m.add("circle", "circle");
        m.add("circle", "square");
        m.add("square", "dog");
        m.add("dog", "circle"); // truth outside the classes: ignored
        assertEquals(3, m.total());
        assertEquals(1.0 / 3, m.accuracy(), 1e-12);
        Map<String, Object> j = m.toJson();
        assertEquals(List.of(List.of(1L, 1L, 0L), List.of(0L, 0L, 1L)), j.get("counts"));
        assertEquals(List.of("circle", "square", "other"), j.get("columns"));
        assertTrue(m.format().contains("other"));
        Path png = tmp.resolve("sub/confusion.png");
        ConfusionPlot.write(png, List.of(m, new ConfusionMatrix("colours", ShapesTruth.COLORS)), w -> {});
        BufferedImage img = ImageIO.read(png.toFile());
        assertTrue(img.getWidth() > 300 && img.getHeight() > 200, img.getWidth() + "x" + img.getHeight());
        try (var files = Files.list(png.getParent())) {
            assertEquals(1, files.count(), "no temporary file left");
        }
    }

    static List<String> ten(String a) {
        return Collections.nCopies(10, a);
    }

    static List<String> withMistakes(String a, String wrong, int n) {
        List<String> out = new ArrayList<>(ten(a));
        for (int i = 0; i < n; i++) {
            out.set(i, wrong);
        }
        return out;
    }

    static List<Integer> toList(int[] a) {
        List<Integer> out = new ArrayList<>();
        for (int v : a) {
            out.add(v);
        }
        return out;
    }
}

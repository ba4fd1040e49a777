package org.blip4j.shapes;

import static org.blip4j.shapes.CaptionParserTest.obj;
import static org.blip4j.shapes.CaptionParserTest.scene;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.blip4j.data.Batch;
import org.blip4j.data.Collate;
import org.blip4j.data.Dataset;
import org.blip4j.data.ImageTransform;
import org.blip4j.data.VqaDataset;
import org.blip4j.text.BertTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Minimal VQA pairs ({@code train_stream.referent_pairs}): a relation question asking for a colour comes with the
 * colour question about its referent, on the same image, in the same batch; the expected answers are read off
 * hand-built scenes and, for streamed scenes, off the scene's objects.
 */
class ReferentPairsTest {
    private static final QuestionGenerator GEN = new QuestionGenerator(4);

    private static Question relation(String text, String answer) {
        return new Question(text, answer, Question.Type.RELATION, Collections.nCopies(10, answer));
    }

    /** A red diamond left of a blue circle, a green circle far below them. */
    private static Scene diamondAndTwoCircles() {
        return scene(
                BackgroundColor.BEIGE,
                obj(ShapeKind.DIAMOND, ShapeColor.RED, SizeClass.LARGE, 20, 30),
                obj(ShapeKind.CIRCLE, ShapeColor.BLUE, SizeClass.LARGE, 70, 30),
                obj(ShapeKind.CIRCLE, ShapeColor.GREEN, SizeClass.SMALL, 70, 85));
    }

    @Test
    void thePartnerAsksForTheReferentsOwnColour() {
        Scene s = diamondAndTwoCircles();
        Question p = GEN.referentQuestion(
                relation("what color is the object to the right of the diamond?", "blue"), s, new Rng(1));
        assertNotNull(p);
        assertEquals(Question.Type.COLOR, p.type());
        assertEquals("red", p.answer());
        assertTrue(p.text().contains(" diamond"), p.text());
        assertTrue(p.annotators().stream().filter("red"::equals).count() >= 8, p.annotators()::toString);

        Question q = GEN.referentQuestion(
                relation("what color is the object left of the blue circle?", "red"), s, new Rng(2));
        assertEquals("blue", q.answer());
        assertTrue(q.text().contains(" blue circle"), q.text());
    }

    @Test
    void otherQuestionsAndAmbiguousReferentsHaveNone() {
        Scene s = diamondAndTwoCircles();
        Rng rng = new Rng(3);
        assertNull(GEN.referentQuestion(relation("what shape is left of the blue circle?", "diamond"), s, rng));
        assertNull(GEN.referentQuestion(relation("what is left of the blue circle?", "diamond"), s, rng));
        assertNull(GEN.referentQuestion(
                new Question("what color is the diamond?", "red", Question.Type.COLOR, Collections.nCopies(10, "red")),
                s,
                rng));
        // "the circle" is two objects here: no single referent to ask about
        assertNull(GEN.referentQuestion(relation("what color is the object left of the circle?", "red"), s, rng));
    }

    @Test
    void streamedPairsShareTheImageAndAnswerTheReferent(@TempDir java.nio.file.Path dir) throws Exception {
        ShapesStream stream = new ShapesStream(7, 64, 64, 0, 4, 0);
        double[] relationsOnly = Question.typeWeights(
                java.util.Map.of("color", 0.0, "shape", 0.0, "count", 0.0, "exist", 0.0, "relation", 1.0));
        ImageTransform t = ImageTransform.test(64);
        Dataset<VqaDataset.Sample> paired = StreamDatasets.vqa(stream, 200, t, relationsOnly, 1.0);
        Dataset<VqaDataset.Sample> plain = StreamDatasets.vqa(stream, 200, t, relationsOnly, 0.0);
        int pairs = 0;
        int colourRelations = 0;
        int shortcutWrong = 0;
        List<VqaDataset.Sample> batch = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            VqaDataset.Sample a = paired.load(i, new SplittableRandom(1000 + i));
            VqaDataset.Sample b = plain.load(i, new SplittableRandom(1000 + i));
            assertEquals(b.question(), a.question(), "the stream's questions do not change");
            assertArrayEquals(b.pixels().chw(), a.pixels().chw(), "nor its images");
            assertNull(b.partner());
            boolean colour = a.question().startsWith("what color is the object ");
            colourRelations += colour ? 1 : 0;
            if (a.partner() == null) {
                assertTrue(!colour, "every colour relation question has a partner at rate 1: " + a.question());
                continue;
            }
            pairs++;
            batch.add(a);
            VqaDataset.Sample p = a.partner();
            assertSame(a.pixels(), p.pixels());
            assertEquals(a.index(), p.index());
            assertTrue(p.question().startsWith("what") && p.question().contains("color"), p.question());
            String referent = a.question()
                    .substring(a.question().lastIndexOf(" the ") + 5)
                    .replace("?", "");
            assertTrue(p.question().contains(" " + referent), p.question() + " names " + referent);
            Scene s = questionedScene(stream, new SplittableRandom(1000 + i), relationsOnly);
            assertEquals(colourOf(s, referent), top(p), p.question());
            shortcutWrong += top(p).equals(top(a)) ? 0 : 1;
        }
        assertTrue(colourRelations > 30, "colour relation questions: " + colourRelations);
        assertEquals(colourRelations, pairs);
        assertTrue(shortcutWrong > pairs / 2, "the referent's colour is usually not the answer: " + shortcutWrong);

        BertTokenizer tok = BertTokenizer.fromVocab(writeVocab(dir));
        Batch collated = Collate.vqa(tok).apply(batch.subList(0, 4));
        assertEquals(8, collated.text().inputIds().length, "each partner is a row of its own");
        assertEquals(8, collated.answerCounts().length);
    }

    @Test
    void aRateOutsideTheUnitIntervalIsRefused() {
        ShapesStream stream = new ShapesStream(7, 64, 64, 0, 4, 0);
        assertThrows(
                IllegalArgumentException.class,
                () -> StreamDatasets.vqa(stream, 10, ImageTransform.test(64), null, 1.5));
    }

    /** The scene the dataset asks about: it draws until a scene allows a question. */
    private static Scene questionedScene(ShapesStream stream, SplittableRandom rng, double[] weights) {
        for (; ; ) {
            ShapesStream.Draw d = stream.draw(rng);
            if (d.question(stream.maxObjects(), weights) != null) {
                return d.scene();
            }
        }
    }

    /** The most-voted answer of a sample. */
    private static String top(VqaDataset.Sample s) {
        int best = 0;
        for (int i = 1; i < s.weights().length; i++) {
            best = s.weights()[i] > s.weights()[best] ? i : best;
        }
        return s.answers().get(best);
    }

    /** The colour of the one object that {@code words} ("diamond", "red circle") names in the scene. */
    private static String colourOf(Scene s, String words) {
        String[] w = words.split(" ");
        List<SceneObject> match = new ArrayList<>();
        for (SceneObject o : s.objects()) {
            boolean shape = o.shape().words().contains(w[w.length - 1]);
            boolean colour = w.length == 1 || o.color().words().contains(w[0]);
            if (shape && colour) {
                match.add(o);
            }
        }
        assertEquals(1, match.size(), words + " in " + s.objects());
        return match.get(0).color().word();
    }

    private static java.nio.file.Path writeVocab(java.nio.file.Path dir) throws java.io.IOException {
        java.nio.file.Path f = dir.resolve("vocab.txt");
        java.nio.file.Files.write(f, ShapesVocabulary.vocabLines());
        return f;
    }
}

package org.blip4j.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.blip4j.shapes.Caption;
import org.blip4j.shapes.CaptionParser;
import org.blip4j.shapes.Question;
import org.blip4j.shapes.Region;
import org.blip4j.shapes.Scene;
import org.blip4j.shapes.SceneObject;
import org.blip4j.shapes.ShapeColor;
import org.blip4j.shapes.ShapeKind;

/**
 * Metrics that know the truth, for the shapes world: whether generated captions hold for their scene, whether the
 * top-ranked image satisfies a retrieval query, VQA accuracy per question type, and shape and colour confusion
 * matrices. Pure functions of scenes and model outputs (no model calls), so a training loop can use them for
 * validation along training as well as {@code blip4j eval}.
 *
 * <p>Texts are read with {@link CaptionParser}; a text that does not parse is false. The shape (colour) word of a
 * caption mention is judged only where its referent is unambiguous: the scene objects that fit the mention's other
 * attributes (size and colour, or size and shape) and its stated position are exactly as many as the mention counts;
 * each of them is then a (true shape, said shape) pair.
 */
public final class ShapesTruth {
    /** The class names of the shape confusion matrices (canonical shape words). */
    public static final List<String> SHAPES =
            Arrays.stream(ShapeKind.values()).map(ShapeKind::word).toList();
    /** The class names of the colour confusion matrices (canonical colour words). */
    public static final List<String> COLORS =
            Arrays.stream(ShapeColor.values()).map(ShapeColor::word).toList();

    private ShapesTruth() {}

    // ---------------------------------------------------------------- captions

    /**
     * The truth of one caption.
     *
     * @param parsed whether it is a caption of the world's language
     * @param holds whether it parsed and holds for its scene
     * @param problem why it did not parse, else null
     */
    public record Verdict(boolean parsed, boolean holds, String problem) {}

    /**
     * Truth metrics of generated captions.
     *
     * @param verdicts one per caption, in input order
     * @param shapeWords shape words judged (mentions with an unambiguous referent, one per referent)
     * @param shapeWordsRight of them, right
     * @param colorWords colour words judged
     * @param colorWordsRight of them, right
     * @param shapes (true shape, said shape) of the judged shape words
     * @param colors (true colour, said colour) of the judged colour words
     */
    public record CaptionTruth(
            List<Verdict> verdicts,
            int shapeWords,
            int shapeWordsRight,
            int colorWords,
            int colorWordsRight,
            ConfusionMatrix shapes,
            ConfusionMatrix colors) {
        /** Fraction of captions that hold for their scene (unparseable ones count as false). */
        public double truthRate() {
            return fraction(verdicts.stream().filter(Verdict::holds).count(), verdicts.size());
        }

        /** Fraction of captions that parse. */
        public double parseRate() {
            return fraction(verdicts.stream().filter(Verdict::parsed).count(), verdicts.size());
        }

        /** Fraction of judged shape words that are right (NaN when none was judged). */
        public double shapeWordAccuracy() {
            return fraction(shapeWordsRight, shapeWords);
        }

        /** Fraction of judged colour words that are right (NaN when none was judged). */
        public double colorWordAccuracy() {
            return fraction(colorWordsRight, colorWords);
        }

        /**
         * As flat metrics (fractions 0..1, as the caption metrics): {@code truth_rate, parse_rate, shape_word_accuracy,
         * color_word_accuracy, shape_words_judged, color_words_judged}; accuracies are left out when nothing was
         * judged.
         */
        public Map<String, Double> metrics() {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("truth_rate", truthRate());
            m.put("parse_rate", parseRate());
            putFinite(m, "shape_word_accuracy", shapeWordAccuracy());
            putFinite(m, "color_word_accuracy", colorWordAccuracy());
            m.put("shape_words_judged", (double) shapeWords);
            m.put("color_words_judged", (double) colorWords);
            return m;
        }
    }

    /** Judges generated captions against their scenes ({@code captions.get(i)} describes {@code scenes.get(i)}). */
    public static CaptionTruth captions(List<Scene> scenes, List<String> captions) {
        if (scenes.size() != captions.size()) {
            throw new IllegalArgumentException(scenes.size() + " scenes but " + captions.size() + " captions");
        }
        List<Verdict> verdicts = new ArrayList<>();
        ConfusionMatrix shapes = new ConfusionMatrix("shape words of captions", SHAPES);
        ConfusionMatrix colors = new ConfusionMatrix("colour words of captions", COLORS);
        int[] judged = new int[4]; // shape judged, shape right, colour judged, colour right
        for (int i = 0; i < scenes.size(); i++) {
            Scene s = scenes.get(i);
            CaptionParser.Result r = CaptionParser.read(captions.get(i));
            if (!r.ok()) {
                verdicts.add(new Verdict(false, false, r.problem()));
                continue;
            }
            Caption c = r.caption();
            verdicts.add(new Verdict(true, c.holds(s), null));
            for (int k = 0; k < c.mentions().size(); k++) {
                Caption.Mention m = c.mentions().get(k);
                Region where = region(c, k);
                if (m.shape() != null) {
                    for (SceneObject o : referents(s, m.count(), m.size(), m.color(), null, where)) {
                        shapes.add(o.shape().word(), m.shape().word());
                        judged[0]++;
                        judged[1] += o.shape() == m.shape() ? 1 : 0;
                    }
                }
                if (m.color() != null) {
                    for (SceneObject o : referents(s, m.count(), m.size(), null, m.shape(), where)) {
                        colors.add(o.color().word(), m.color().word());
                        judged[2]++;
                        judged[3] += o.color() == m.color() ? 1 : 0;
                    }
                }
            }
        }
        return new CaptionTruth(List.copyOf(verdicts), judged[0], judged[1], judged[2], judged[3], shapes, colors);
    }

    /** The region a caption places mention {@code k} in, or null. */
    private static Region region(Caption c, int k) {
        for (Caption.Claim cl : c.claims()) {
            if (cl instanceof Caption.Located l && l.mention() == k) {
                return l.region();
            }
        }
        return null;
    }

    /** The objects fitting a description (and region), if they are exactly {@code count} (at least one); else none. */
    private static List<SceneObject> referents(
            Scene s, int count, org.blip4j.shapes.SizeClass size, ShapeColor color, ShapeKind shape, Region where) {
        List<SceneObject> fit = new ArrayList<>();
        for (SceneObject o : s.matching(size, color, shape)) {
            if (where == null || o.region(s.size()) == where) {
                fit.add(o);
            }
        }
        return count >= 1 && fit.size() == count ? fit : List.of();
    }

    // ---------------------------------------------------------------- VQA

    /**
     * VQA accuracy overall and per question type, with confusion matrices of the questions whose correct answer is a
     * shape or a colour (shape and colour questions, and relation questions asking for one).
     *
     * @param accuracy mean VQA accuracy, 0..100
     * @param byType question type to mean VQA accuracy, 0..100 (types in first-seen order)
     * @param questionsByType question type to its number of questions
     * @param shapes (true shape, answered) pairs
     * @param colors (true colour, answered) pairs
     */
    public record VqaTruth(
            double accuracy,
            Map<String, Double> byType,
            Map<String, Integer> questionsByType,
            ConfusionMatrix shapes,
            ConfusionMatrix colors) {
        /** As flat metrics: {@code vqa_accuracy_<type>} (0..100) and {@code vqa_questions_<type>}. */
        public Map<String, Double> metrics() {
            Map<String, Double> m = new LinkedHashMap<>();
            byType.forEach((t, v) -> m.put("vqa_accuracy_" + t, v));
            questionsByType.forEach((t, v) -> m.put("vqa_questions_" + t, (double) v));
            return m;
        }
    }

    /**
     * Scores answers per question type.
     *
     * @param types each question's type ({@code question_type} of the shapes world's VQA files); null reads as "other"
     * @param predictions each question's answer
     * @param answers each question's annotator answers (the VQA accuracy's ground truth; the most frequent one is the
     *     truth of the confusion matrices)
     */
    public static VqaTruth vqa(List<String> types, List<String> predictions, List<List<String>> answers) {
        if (types.size() != predictions.size() || answers.size() != predictions.size() || predictions.isEmpty()) {
            throw new IllegalArgumentException("need equally many (>0) question types, answers and predictions");
        }
        Map<String, double[]> sums = new LinkedHashMap<>();
        ConfusionMatrix shapes = new ConfusionMatrix("VQA answers whose truth is a shape", SHAPES);
        ConfusionMatrix colors = new ConfusionMatrix("VQA answers whose truth is a colour", COLORS);
        double total = 0;
        for (int i = 0; i < predictions.size(); i++) {
            String type = types.get(i) == null ? "other" : types.get(i);
            double acc = VqaAccuracy.accuracy(predictions.get(i), answers.get(i));
            total += acc;
            double[] s = sums.computeIfAbsent(type, t -> new double[2]);
            s[0] += acc;
            s[1]++;
            String truth = majority(answers.get(i));
            String said = VqaAccuracy.normalizePrediction(predictions.get(i));
            if (SHAPES.contains(truth)) {
                shapes.add(truth, said);
            } else if (COLORS.contains(truth)) {
                colors.add(truth, said);
            }
        }
        Map<String, Double> byType = new LinkedHashMap<>();
        Map<String, Integer> counts = new LinkedHashMap<>();
        sums.forEach((t, s) -> {
            byType.put(t, s[0] / s[1]);
            counts.put(t, (int) s[1]);
        });
        return new VqaTruth(total / predictions.size(), byType, counts, shapes, colors);
    }

    /** Scores answers to generated questions (each question's correct answer ten times as its annotation). */
    public static VqaTruth vqa(List<Question> questions, List<String> predictions) {
        List<String> types = new ArrayList<>();
        List<List<String>> answers = new ArrayList<>();
        for (Question q : questions) {
            types.add(q.type().id());
            answers.add(java.util.Collections.nCopies(10, q.answer()));
        }
        return vqa(types, predictions, answers);
    }

    /** The most frequent answer (ties: the one seen first). */
    static String majority(List<String> answers) {
        Map<String, Integer> n = new HashMap<>();
        String best = null;
        int bestN = 0;
        for (String a : answers) {
            int c = n.merge(a, 1, Integer::sum);
            if (c > bestN) {
                best = a;
                bestN = c;
            }
        }
        return best;
    }

    // ---------------------------------------------------------------- retrieval

    /**
     * Retrieval judged by the world rather than by which image a text was written for (among near-duplicate scenes
     * R@1 is ambiguous by construction): truth@K is the percentage of queries for which at least one of the top K
     * results satisfies the query — for text→image the text holds for the image, for image→text likewise.
     *
     * @param textToImage1 text→image truth@1, percent
     * @param textToImage5 text→image truth@5, percent
     * @param imageToText1 image→text truth@1, percent (NaN when not computed)
     * @param imageToText5 image→text truth@5, percent (NaN when not computed)
     * @param textQueries text queries judged (texts that parse)
     * @param unparseable texts that do not parse (skipped as text→image queries, false as image→text results)
     * @param textToImage1ByKind text→image truth@1 (percent) by what the query says ({@link #queryKind}), for the
     *     kinds that occur
     */
    public record RetrievalTruth(
            double textToImage1,
            double textToImage5,
            double imageToText1,
            double imageToText5,
            int textQueries,
            int unparseable,
            Map<String, Double> textToImage1ByKind) {
        /**
         * As flat metrics (percent, as R@K): {@code img_truth1, img_truth5, txt_truth1, txt_truth5} and {@code
         * img_truth1_<kind>} for each query kind that occurs.
         */
        public Map<String, Double> metrics() {
            Map<String, Double> m = new LinkedHashMap<>();
            putFinite(m, "txt_truth1", imageToText1);
            putFinite(m, "txt_truth5", imageToText5);
            putFinite(m, "img_truth1", textToImage1);
            putFinite(m, "img_truth5", textToImage5);
            textToImage1ByKind.forEach((k, v) -> m.put("img_truth1_" + k, v));
            return m;
        }
    }

    /**
     * What a query asks of an image, for truth@1 by kind: "relation" (one object relative to another), "position"
     * (where an object lies; no relation) or "objects" (what is there: objects, counts, background).
     */
    public static String queryKind(Caption c) {
        boolean position = false;
        for (Caption.Claim claim : c.claims()) {
            if (claim instanceof Caption.Related) {
                return "relation";
            }
            position |= claim instanceof Caption.Located;
        }
        return position ? "position" : "objects";
    }

    /**
     * Truth@K from score matrices, ranked as {@link RetrievalMetrics} ranks (descending; among equal scores the higher
     * index first).
     *
     * @param images the scene of each image
     * @param texts the texts (queries of text→image)
     * @param i2t images × texts scores, or null to skip image→text
     * @param t2i texts × images scores
     */
    public static RetrievalTruth retrieval(List<Scene> images, List<String> texts, double[][] i2t, double[][] t2i) {
        int[][] imageRanks = new int[t2i.length][];
        for (int t = 0; t < t2i.length; t++) {
            imageRanks[t] = top(t2i[t], 5);
        }
        int[][] textRanks = null;
        if (i2t != null) {
            textRanks = new int[i2t.length][];
            for (int i = 0; i < i2t.length; i++) {
                textRanks[i] = top(i2t[i], 5);
            }
        }
        return retrieval(images, texts, imageRanks, textRanks);
    }

    /**
     * Truth@K from rankings.
     *
     * @param imageRanking for each text, image indices best first (at least the top 5 where there are 5 images)
     * @param textRanking for each image, text indices best first, or null to skip image→text
     */
    public static RetrievalTruth retrieval(
            List<Scene> images, List<String> texts, int[][] imageRanking, int[][] textRanking) {
        if (imageRanking.length != texts.size() || textRanking != null && textRanking.length != images.size()) {
            throw new IllegalArgumentException(
                    "rankings do not match " + texts.size() + " texts and " + images.size() + " images");
        }
        List<Caption> parsed = new ArrayList<>();
        int unparseable = 0;
        for (String t : texts) {
            Caption c = CaptionParser.parse(t).orElse(null);
            parsed.add(c);
            unparseable += c == null ? 1 : 0;
        }
        int queries = 0;
        int hit1 = 0;
        int hit5 = 0;
        Map<String, int[]> byKind = new TreeMap<>(); // kind -> {queries, hits at 1}
        for (int t = 0; t < texts.size(); t++) {
            Caption c = parsed.get(t);
            if (c == null) {
                continue;
            }
            queries++;
            int[] kind = byKind.computeIfAbsent(queryKind(c), x -> new int[2]);
            kind[0]++;
            int[] rank = imageRanking[t];
            for (int k = 0; k < Math.min(5, rank.length); k++) {
                if (c.holds(images.get(rank[k]))) {
                    hit1 += k == 0 ? 1 : 0;
                    kind[1] += k == 0 ? 1 : 0;
                    hit5++;
                    break;
                }
            }
        }
        Map<String, Double> kinds = new LinkedHashMap<>();
        byKind.forEach((k, v) -> kinds.put(k, 100.0 * v[1] / v[0]));
        double i2t1 = Double.NaN;
        double i2t5 = Double.NaN;
        if (textRanking != null && !images.isEmpty()) {
            int h1 = 0;
            int h5 = 0;
            for (int i = 0; i < images.size(); i++) {
                int[] rank = textRanking[i];
                for (int k = 0; k < Math.min(5, rank.length); k++) {
                    Caption c = parsed.get(rank[k]);
                    if (c != null && c.holds(images.get(i))) {
                        h1 += k == 0 ? 1 : 0;
                        h5++;
                        break;
                    }
                }
            }
            i2t1 = 100.0 * h1 / images.size();
            i2t5 = 100.0 * h5 / images.size();
        }
        return new RetrievalTruth(
                queries == 0 ? Double.NaN : 100.0 * hit1 / queries,
                queries == 0 ? Double.NaN : 100.0 * hit5 / queries,
                i2t1,
                i2t5,
                queries,
                unparseable,
                kinds);
    }

    /** Indices of the k best scores, best first; ties: the higher index first (numpy's argsort()[::-1]). */
    static int[] top(double[] scores, int k) {
        Integer[] idx = new Integer[scores.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> {
            int c = Double.compare(scores[b], scores[a]);
            return c != 0 ? c : Integer.compare(b, a);
        });
        int n = Math.min(k, idx.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = idx[i];
        }
        return out;
    }

    private static double fraction(long part, long whole) {
        return whole == 0 ? Double.NaN : (double) part / whole;
    }

    private static void putFinite(Map<String, Double> m, String key, double v) {
        if (!Double.isNaN(v)) {
            m.put(key, v);
        }
    }
}

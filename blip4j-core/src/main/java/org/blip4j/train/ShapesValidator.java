package org.blip4j.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.blip4j.Blip;
import org.blip4j.Task;
import org.blip4j.eval.ShapesTruth;
import org.blip4j.image.RgbImage;
import org.blip4j.shapes.Caption;
import org.blip4j.shapes.Question;
import org.blip4j.shapes.Scene;
import org.blip4j.shapes.ShapesStream;

/**
 * Validation along training for the shapes world: a fixed set of fresh scenes (never trained on: their own stream
 * seed) on which the model being trained — exported and loaded exactly as inference loads it — is measured against
 * the world's truth ({@link org.blip4j.eval.ShapesTruth}). Captioning: the share of generated captions that hold for
 * their scene, and of judged shape and colour words that are right; matching: ITM accuracy on true versus
 * contradicting captions and ITC text→image truth@1 (the top scene satisfies the caption); VQA: accuracy of the
 * generated answers, overall and per question type.
 */
public final class ShapesValidator {
    private final List<Scene> scenes = new ArrayList<>();
    private final List<RgbImage> images = new ArrayList<>();
    private final List<String> captions = new ArrayList<>();
    private final List<String> falseCaptions = new ArrayList<>();
    private final List<Question> questions = new ArrayList<>();
    private final List<Integer> questionScene = new ArrayList<>();

    /**
     * @param stream the training stream (its rendering settings are kept; the seed is replaced)
     * @param count number of validation scenes
     * @param seed the validation seed, distinct from training
     */
    public ShapesValidator(ShapesStream stream, int count, long seed) {
        this(stream, count, seed, false);
    }

    /**
     * @param onTrainingScenes measure on the training stream's own pool (the overfit check) instead of held-out
     *     scenes; the stream must have a pool of at least {@code count} scenes
     */
    public ShapesValidator(ShapesStream stream, int count, long seed, boolean onTrainingScenes) {
        if (onTrainingScenes && stream.pool() < count) {
            throw new IllegalArgumentException("validating on training scenes needs a stream pool of at least " + count
                    + " scenes, the stream has " + stream.pool());
        }
        ShapesStream val = new ShapesStream(
                seed ^ 0x7A11DA7E5EEDL,
                stream.minSide(),
                stream.maxSide(),
                stream.aliasedFraction(),
                stream.maxObjects(),
                0);
        List<ShapesStream.Draw> draws = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            draws.add(onTrainingScenes ? stream.pooled(i) : val.draw(new SplittableRandom(seed * 1_000_003L + i)));
        }
        for (int i = 0; i < count; i++) {
            ShapesStream.Draw d = draws.get(i);
            scenes.add(d.scene());
            images.add(d.image());
            captions.add(d.caption());
            String other = null;
            for (int k = 1; k < count && other == null; k++) { // a caption of another scene that is false here
                Caption c = draws.get((i + k) % count).structuredCaption();
                if (c.contradicts(d.scene())) {
                    other = c.text();
                }
            }
            falseCaptions.add(other);
            Question q = d.question(stream.maxObjects());
            if (q != null) {
                questions.add(q);
                questionScene.add(i);
            }
        }
    }

    /** The metrics of one model folder for a training task (pre-training is measured as captioner and matcher). */
    public Map<String, Double> validate(Path modelDir, Task task) throws IOException {
        Map<String, Double> out = new LinkedHashMap<>();
        if (task == Task.CAPTION || task == Task.PRETRAIN) {
            try (Blip b = Blip.load(modelDir, Blip.Options.defaults().withTask(Task.CAPTION))) {
                out.putAll(captioning(b));
            }
        }
        if (task == Task.ITM || task == Task.PRETRAIN) {
            try (Blip b = Blip.load(modelDir, Blip.Options.defaults().withTask(Task.ITM))) {
                out.putAll(matching(b));
            }
        }
        if (task == Task.VQA) {
            try (Blip b = Blip.load(modelDir, Blip.Options.defaults().withTask(Task.VQA))) {
                out.putAll(answering(b));
            }
        }
        return out;
    }

    Map<String, Double> captioning(Blip b) {
        List<String> generated = new ArrayList<>();
        for (int i = 0; i < images.size(); i += 16) {
            generated.addAll(b.caption(
                    images.subList(i, Math.min(images.size(), i + 16)),
                    b.captionDefaults())); // the exported model's generation_config.json
        }
        ShapesTruth.CaptionTruth t = ShapesTruth.captions(scenes, generated);
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("val_caption_truth", t.truthRate());
        m.put("val_shape_word_accuracy", t.shapeWordAccuracy());
        m.put("val_color_word_accuracy", t.colorWordAccuracy());
        return m;
    }

    Map<String, Double> matching(Blip b) {
        int right = 0;
        int total = 0;
        int ranked = 0; // scenes whose true caption scores above its contradicting one (threshold-free)
        int pairs = 0;
        for (int i = 0; i < images.size(); i++) {
            List<String> texts = falseCaptions.get(i) == null
                    ? List.of(captions.get(i))
                    : List.of(captions.get(i), falseCaptions.get(i));
            double[] p = b.itm(images.get(i), texts, Blip.MatchToken.ENC); // the token ITM trains with
            right += p[0] > 0.5 ? 1 : 0;
            total++;
            if (p.length > 1) {
                right += p[1] < 0.5 ? 1 : 0;
                total++;
                ranked += p[0] > p[1] ? 1 : 0;
                pairs++;
            }
        }
        float[][] img = b.imageEmbeddings(images);
        float[][] txt = b.textEmbeddings(captions);
        double[][] t2i = new double[txt.length][img.length]; // ITC cosine of each caption with each scene
        for (int t = 0; t < txt.length; t++) {
            for (int i = 0; i < img.length; i++) {
                for (int k = 0; k < img[i].length; k++) {
                    t2i[t][i] += img[i][k] * txt[t][k];
                }
            }
        }
        double truth1 = ShapesTruth.retrieval(scenes, captions, null, t2i).textToImage1() / 100.0;
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("val_itm_accuracy", right / (double) total);
        if (pairs > 0) { // ITM trains on 1 positive : 2 negatives, so its 0.5 threshold may sit off; its ranking is
            m.put("val_itm_ranking", ranked / (double) pairs); // what retrieval's re-ranking uses
        }
        m.put("val_itc_truth_at_1", truth1);
        return m;
    }

    Map<String, Double> answering(Blip b) {
        int right = 0;
        List<RgbImage> batch = new ArrayList<>();
        List<String> qs = new ArrayList<>();
        for (int k = 0; k < questions.size(); k++) {
            batch.add(images.get(questionScene.get(k)));
            qs.add(questions.get(k).text());
        }
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < batch.size(); i += 16) {
            answers.addAll(b.answer(
                    batch.subList(i, Math.min(batch.size(), i + 16)), qs.subList(i, Math.min(qs.size(), i + 16))));
        }
        for (int k = 0; k < answers.size(); k++) {
            right += answers.get(k).trim().equals(questions.get(k).answer()) ? 1 : 0;
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("val_vqa_accuracy", questions.isEmpty() ? 0 : right / (double) questions.size());
        ShapesTruth.vqa(questions, answers)
                .byType()
                .forEach((type, acc) ->
                        m.put("val_vqa_" + type, acc / 100.0)); // percent to a fraction, as the other val_ values
        return m;
    }
}

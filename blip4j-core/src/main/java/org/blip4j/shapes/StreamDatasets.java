package org.blip4j.shapes;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.blip4j.data.CaptionDataset;
import org.blip4j.data.Dataset;
import org.blip4j.data.ImageTransform;
import org.blip4j.data.VqaDataset;
import org.blip4j.text.TextNormalizer;

/**
 * Training datasets over a {@link ShapesStream}: every index of every epoch is a fresh scene (the loader seeds each
 * sample from seed, epoch and index), so an "epoch" is only a length for schedules and checkpoints. The samples have
 * the types of the file-backed datasets, so the same collate functions and objectives train on them.
 */
public final class StreamDatasets {
    private StreamDatasets() {}

    /**
     * Image–caption pairs (pre-training, captioning with {@code prompt}, retrieval with ""). A sample's image id is a
     * 31-bit hash of its scene, so the retrieval queue's same-id positives match only the same scene.
     */
    public static Dataset<CaptionDataset.Sample> captions(
            ShapesStream stream, int epochSize, ImageTransform transform, String prompt) {
        return captions(stream, epochSize, transform, prompt, 0);
    }

    /**
     * As {@link #captions(ShapesStream, int, ImageTransform, String)}; with probability {@code negativeRate} a sample
     * also carries a minimal false caption of its scene ({@link HardNegatives}), which pre-training and retrieval use
     * as that image's ITM text negative instead of one mined from the batch. The images and true captions are those
     * of the stream without negatives.
     */
    public static Dataset<CaptionDataset.Sample> captions(
            ShapesStream stream, int epochSize, ImageTransform transform, String prompt, double negativeRate) {
        return captions(stream, epochSize, transform, prompt, negativeRate, false);
    }

    /**
     * As {@link #captions(ShapesStream, int, ImageTransform, String, double)}; with {@code judged} every sample also
     * carries its scene and structured caption ({@link CaptionDataset.Sample#world()}), so that a batch knows which
     * of its captions hold for which of its images ({@code train_stream.skip_true_negatives}).
     */
    public static Dataset<CaptionDataset.Sample> captions(
            ShapesStream stream,
            int epochSize,
            ImageTransform transform,
            String prompt,
            double negativeRate,
            boolean judged) {
        if (!(negativeRate >= 0 && negativeRate <= 1)) {
            throw new IllegalArgumentException("hard-negative rate must be in [0, 1], got " + negativeRate);
        }
        return new Dataset<>() {
            @Override
            public int size() {
                return epochSize;
            }

            @Override
            public CaptionDataset.Sample load(int index, SplittableRandom rng) {
                ShapesStream.Draw d = stream.draw(rng);
                int imageId = d.scene().hashCode() & Integer.MAX_VALUE; // equal scenes (a pool's repeats) share an id
                Caption truth = d.structuredCaption();
                String caption = prompt + TextNormalizer.preCaption(truth.text(), CaptionDataset.MAX_WORDS);
                var pixels = transform.apply(d.image(), rng);
                String negative = null;
                if (negativeRate > 0) { // drawn after the image's transform: the stream's images stay the same
                    Rng r = new Rng(rng.nextLong());
                    HardNegatives.Negative n =
                            r.nextDouble() < negativeRate ? HardNegatives.of(truth, d.scene(), r) : null;
                    negative = n == null
                            ? null
                            : prompt + TextNormalizer.preCaption(n.caption().text(), CaptionDataset.MAX_WORDS);
                }
                return new CaptionDataset.Sample(
                        index, pixels, caption, imageId, negative, judged ? new Judged(truth, d.scene()) : null);
            }

            @Override
            public String source(int index) {
                return "shapes stream #" + index;
            }
        };
    }

    /** A stream pair that the world can judge: its caption against any other pair's scene. */
    record Judged(Caption caption, Scene scene) implements CaptionDataset.WorldPair {
        @Override
        public boolean textHoldsFor(CaptionDataset.WorldPair other) {
            if (!(other instanceof Judged j)) {
                throw new IllegalArgumentException("a shapes-world caption can only be judged against a shapes scene");
            }
            return caption.holds(j.scene());
        }
    }

    /** Questions with their annotators' answers weighted as {@code vqa_dataset} does (count / 10). */
    public static Dataset<VqaDataset.Sample> vqa(ShapesStream stream, int epochSize, ImageTransform transform) {
        return vqa(stream, epochSize, transform, null);
    }

    /**
     * As {@link #vqa(ShapesStream, int, ImageTransform)}, each question's type drawn with {@code typeWeights} (see
     * {@link Question#typeWeights}; null: evenly).
     */
    public static Dataset<VqaDataset.Sample> vqa(
            ShapesStream stream, int epochSize, ImageTransform transform, double[] typeWeights) {
        return vqa(stream, epochSize, transform, typeWeights, 0);
    }

    /**
     * As {@link #vqa(ShapesStream, int, ImageTransform, double[])}; with probability {@code pairRate} a relation
     * question that asks for a colour also carries its <b>minimal partner</b> ({@link VqaDataset.Sample#partner()}):
     * the same image asked for the colour of the question's referent ("what color is the object left of the
     * diamond?" with "what color is the diamond?"), so that answering the referent's own colour to the first — the
     * shortcut the shapes VQA model takes on about a quarter of those questions — costs loss in the same batch. The
     * stream's images and questions are those without partners.
     */
    public static Dataset<VqaDataset.Sample> vqa(
            ShapesStream stream, int epochSize, ImageTransform transform, double[] typeWeights, double pairRate) {
        return vqa(stream, epochSize, transform, typeWeights, pairRate, 0);
    }

    /**
     * As {@link #vqa(ShapesStream, int, ImageTransform, double[], double)}; with {@code relationGrid > 0} every sample
     * (and partner) also carries what each object of its scene has around it on a grid of that many patches a side
     * ({@link PatchGrid#relationLabels}, {@link VqaDataset.Sample#patchRelations}). The transform must keep the scene's
     * geometry (the shapes recipes' {@code min_scale: 1.0}, {@code hflip: 0}).
     */
    public static Dataset<VqaDataset.Sample> vqa(
            ShapesStream stream,
            int epochSize,
            ImageTransform transform,
            double[] typeWeights,
            double pairRate,
            int relationGrid) {
        if (!(pairRate >= 0 && pairRate <= 1)) {
            throw new IllegalArgumentException("referent-pair rate must be in [0, 1], got " + pairRate);
        }
        return new Dataset<>() {
            @Override
            public int size() {
                return epochSize;
            }

            @Override
            public VqaDataset.Sample load(int index, SplittableRandom rng) {
                for (; ; ) {
                    ShapesStream.Draw d = stream.draw(rng);
                    Question q = d.question(stream.maxObjects(), typeWeights);
                    if (q == null) {
                        continue; // a scene that allows no unambiguous question: draw another
                    }
                    var pixels = transform.apply(d.image(), rng);
                    long[] around = relationGrid > 0 ? PatchGrid.relationLabels(d.scene(), relationGrid) : null;
                    VqaDataset.Sample partner = null;
                    if (pairRate > 0 && new Rng(rng.nextLong()).nextDouble() < pairRate) { // after the transform
                        Question p = d.referentQuestion(q, stream.maxObjects());
                        partner = p == null ? null : sample(index, pixels, p, null, around);
                    }
                    return sample(index, pixels, q, partner, around);
                }
            }

            @Override
            public String source(int index) {
                return "shapes stream #" + index;
            }
        };
    }

    /** A training sample of one question: its annotators' answers weighted as {@code vqa_dataset} does. */
    private static VqaDataset.Sample sample(
            int index, org.blip4j.data.Pixels pixels, Question q, VqaDataset.Sample partner, long[] around) {
        Map<String, Double> w = new LinkedHashMap<>();
        for (String a : q.annotators()) {
            w.merge(a, 1.0 / q.annotators().size(), Double::sum);
        }
        float[] weights = new float[w.size()];
        int i = 0;
        for (double v : w.values()) {
            weights[i++] = (float) v;
        }
        return new VqaDataset.Sample(
                index,
                pixels,
                TextNormalizer.preQuestion(q.text()),
                new ArrayList<>(w.keySet()),
                weights,
                -1,
                partner,
                around);
    }

    /** The answers the stream's questions can have (for rank-based VQA). */
    public static List<String> answers(ShapesStream stream) {
        return ShapesVocabulary.answers(stream.maxObjects());
    }
}

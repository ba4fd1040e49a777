package org.blip4j.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.blip4j.image.ImageLoader;
import org.blip4j.text.TextNormalizer;

/**
 * VQA v2 / Visual Genome questions; mirrors {@code data/vqa_dataset.py} {@code vqa_dataset}: {@code pre_question}
 * (50 words) on questions, images under {@code vqa_root} or {@code vg_root} by the entry's {@code dataset}; in the
 * train split each distinct answer gets weight {@code count / len(answers)} for VQA (summed as repeated
 * {@code 1/len} additions in double, like the reference, then float32) and 0.2 for VG; the test split keeps the
 * {@code question_id}. Answers are used as written (the reference does not clean them).
 */
public final class VqaDataset extends ItemDataset<VqaDataset.Item, VqaDataset.Sample> {
    /** The weight {@code vqa_dataset} gives a Visual Genome answer. */
    public static final float VG_WEIGHT = 0.2f;

    /** One question: resolved image path, cleaned question, distinct answers with weights, question id (-1: none). */
    public record Item(String image, String question, List<String> answers, float[] weights, long questionId) {}

    /**
     * A loaded question; train samples carry {@code (image, question, answers, weights)}, test samples
     * {@code (image, question, question_id)} with empty answers. A {@code partner} (or null) is a second question about
     * the same image that {@link Collate#vqa} puts into the batch right after this one (the shapes stream's minimal
     * pairs, {@code train_stream.referent_pairs}). {@code patchRelations} (or null): what each object has around it,
     * on the image's patches ({@code org.blip4j.shapes.PatchGrid#relationLabels}; recipe key {@code patch_relations}).
     */
    public record Sample(
            int index,
            Pixels pixels,
            String question,
            List<String> answers,
            float[] weights,
            long questionId,
            Sample partner,
            long[] patchRelations) {

        /** Without a partner. */
        public Sample(
                int index, Pixels pixels, String question, List<String> answers, float[] weights, long questionId) {
            this(index, pixels, question, answers, weights, questionId, null, null);
        }

        /** Without patch-relation labels. */
        public Sample(
                int index,
                Pixels pixels,
                String question,
                List<String> answers,
                float[] weights,
                long questionId,
                Sample partner) {
            this(index, pixels, question, answers, weights, questionId, partner, null);
        }
    }

    public VqaDataset(List<Item> items, ImageTransform transform, ImageLoader loader) {
        super(items, transform, loader);
    }

    /**
     * {@code vqa_dataset(split='train', train_files=[...])}: the files ({@code vqa_train.json}, {@code vqa_val.json},
     * {@code vg_qa.json}) concatenated in order.
     */
    public static VqaDataset train(List<Path> annFiles, Path vqaRoot, Path vgRoot, ImageTransform transform)
            throws IOException {
        List<Item> items = new ArrayList<>();
        for (Path f : annFiles) {
            for (Annotations.Vqa a : Annotations.readVqa(f, true)) {
                Map<String, Double> w = new LinkedHashMap<>();
                boolean vg = a.dataset().equals("vg");
                for (String ans : a.answers()) {
                    w.merge(ans, vg ? VG_WEIGHT : 1.0 / a.answers().size(), vg ? (x, y) -> x : Double::sum);
                }
                float[] weights = new float[w.size()];
                int i = 0;
                for (double v : w.values()) {
                    weights[i++] = (float) v;
                }
                items.add(new Item(
                        path(a, vqaRoot, vgRoot),
                        TextNormalizer.preQuestion(a.question()),
                        List.copyOf(w.keySet()),
                        weights,
                        a.questionId() == null ? -1 : a.questionId()));
            }
        }
        return new VqaDataset(items, transform, ImageLoader.defaults());
    }

    /** {@code vqa_dataset(split='test')} on {@code vqa_test.json}: every entry needs a {@code question_id}. */
    public static VqaDataset test(Path annFile, Path vqaRoot, Path vgRoot, ImageTransform transform)
            throws IOException {
        List<Annotations.Vqa> anns = Annotations.readVqa(annFile, false);
        List<Item> items = new ArrayList<>(anns.size());
        for (int i = 0; i < anns.size(); i++) {
            Annotations.Vqa a = anns.get(i);
            if (a.questionId() == null) {
                throw new AnnotationException(annFile, i, -1, "missing key 'question_id' (required in a test file)");
            }
            items.add(new Item(
                    path(a, vqaRoot, vgRoot),
                    TextNormalizer.preQuestion(a.question()),
                    List.of(),
                    new float[0],
                    a.questionId()));
        }
        return new VqaDataset(items, transform, ImageLoader.defaults());
    }

    private static String path(Annotations.Vqa a, Path vqaRoot, Path vgRoot) {
        return Dataset.resolve(a.dataset().equals("vg") ? vgRoot : vqaRoot, a.image())
                .toString();
    }

    /** The same questions read with another image loader. */
    public VqaDataset withLoader(ImageLoader loader) {
        return new VqaDataset(items, transform, loader);
    }

    @Override
    public Sample load(int index, SplittableRandom rng) throws IOException {
        Item it = items.get(index);
        return new Sample(
                index,
                image(it.image(), rng),
                it.question(),
                it.answers(),
                it.weights().clone(),
                it.questionId());
    }

    @Override
    public String source(int index) {
        return items.get(index).image();
    }
}

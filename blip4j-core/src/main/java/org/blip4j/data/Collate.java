package org.blip4j.data;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.blip4j.text.BertTokenizer;

/**
 * Collate functions turning a list of samples into a {@link Batch}: the default {@code torch.stack} collate of BLIP's
 * {@code create_loader} plus the tokenisation each model's {@code forward} does, and {@code vqa_collate_fn} of
 * {@code data/__init__.py}. A null tokenizer keeps texts raw.
 */
public final class Collate {
    private Collate() {}

    /** Caption / pre-train / retrieval-train pairs; {@link TextEncoding#PRETRAIN}, CAPTION or RETRIEVAL. */
    public static Function<List<CaptionDataset.Sample>, Batch> captions(
            BertTokenizer tokenizer, TextEncoding encoding) {
        return samples -> {
            int b = samples.size();
            int[] idx = new int[b];
            long[] ids = new long[b];
            List<Pixels> px = new ArrayList<>(b);
            List<String> texts = new ArrayList<>(b);
            List<String> negatives = new ArrayList<>(b);
            boolean anyNegative = false;
            for (int i = 0; i < b; i++) {
                CaptionDataset.Sample s = samples.get(i);
                idx[i] = s.index();
                ids[i] = s.imageId();
                px.add(s.pixels());
                texts.add(s.caption());
                negatives.add(s.negative() == null ? "" : s.negative());
                anyNegative |= s.negative() != null;
            }
            Pixels first = px.get(0);
            return new Batch(
                    idx,
                    stack(px),
                    1,
                    first.height(),
                    first.width(),
                    Batch.Text.encode(tokenizer, texts, encoding),
                    ids,
                    null,
                    null,
                    null,
                    null,
                    null,
                    anyNegative ? Batch.Text.encode(tokenizer, negatives, encoding) : null,
                    knownTrue(samples));
        };
    }

    /**
     * {@code [i][j]}: whether sample j's text holds for sample i's image, by the samples' world (the diagonal false);
     * null unless every sample knows its world.
     */
    static boolean[][] knownTrue(List<CaptionDataset.Sample> samples) {
        int b = samples.size();
        for (CaptionDataset.Sample s : samples) {
            if (s.world() == null) {
                return null;
            }
        }
        boolean[][] out = new boolean[b][b];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < b; j++) {
                out[i][j] = i != j
                        && samples.get(j).world().textHoldsFor(samples.get(i).world());
            }
        }
        return out;
    }

    /** Evaluation images (Karpathy val/test): pixels, indices and COCO image ids; no text. */
    public static Function<List<RetrievalEvalDataset.Sample>, Batch> images() {
        return samples -> {
            int b = samples.size();
            int[] idx = new int[b];
            long[] ids = new long[b];
            List<Pixels> px = new ArrayList<>(b);
            for (int i = 0; i < b; i++) {
                idx[i] = samples.get(i).index();
                ids[i] = samples.get(i).imageId();
                px.add(samples.get(i).pixels());
            }
            Pixels first = px.get(0);
            return new Batch(idx, stack(px), 1, first.height(), first.width(), null, ids, null, null, null, null, null);
        };
    }

    /**
     * VQA: questions as {@link TextEncoding#VQA_QUESTION}; with answers (train) also {@code vqa_collate_fn}'s flat
     * answer list ({@link TextEncoding#VQA_ANSWER}), weights and per-sample counts; question ids always. A sample's
     * {@link VqaDataset.Sample#partner() partner} becomes a row of its own right after it (same image).
     */
    public static Function<List<VqaDataset.Sample>, Batch> vqa(BertTokenizer tokenizer) {
        return given -> {
            List<VqaDataset.Sample> samples = new ArrayList<>(given.size());
            for (VqaDataset.Sample s : given) {
                samples.add(s);
                if (s.partner() != null) {
                    samples.add(s.partner());
                }
            }
            int b = samples.size();
            int[] idx = new int[b];
            long[] qids = new long[b];
            int[] counts = new int[b];
            List<Pixels> px = new ArrayList<>(b);
            List<String> questions = new ArrayList<>(b);
            List<String> answers = new ArrayList<>();
            List<Float> weights = new ArrayList<>();
            for (int i = 0; i < b; i++) {
                VqaDataset.Sample s = samples.get(i);
                idx[i] = s.index();
                qids[i] = s.questionId();
                px.add(s.pixels());
                questions.add(s.question());
                answers.addAll(s.answers());
                for (float w : s.weights()) {
                    weights.add(w);
                }
                counts[i] = s.answers().size();
            }
            Pixels first = px.get(0);
            Batch.Text q = Batch.Text.encode(tokenizer, questions, TextEncoding.VQA_QUESTION);
            if (answers.isEmpty()) {
                return new Batch(
                        idx, stack(px), 1, first.height(), first.width(), q, null, qids, null, null, null, null);
            }
            float[] w = new float[weights.size()];
            for (int i = 0; i < w.length; i++) {
                w[i] = weights.get(i);
            }
            return new Batch(
                    idx,
                    stack(px),
                    1,
                    first.height(),
                    first.width(),
                    q,
                    null,
                    qids,
                    null,
                    Batch.Text.encode(tokenizer, answers, TextEncoding.VQA_ANSWER),
                    w,
                    counts,
                    null,
                    null,
                    patchRelations(samples));
        };
    }

    /** Every sample's patch-relation labels concatenated in batch order, or null unless every sample has them. */
    private static long[] patchRelations(List<VqaDataset.Sample> samples) {
        if (samples.stream().anyMatch(s -> s.patchRelations() == null)) {
            return null;
        }
        return samples.stream()
                .flatMapToLong(s -> java.util.Arrays.stream(s.patchRelations()))
                .toArray();
    }

    /**
     * NLVR2: 2B images (all {@code image0}, then all {@code image1}), sentences ({@link TextEncoding#NLVR}), labels.
     */
    public static Function<List<NlvrDataset.Sample>, Batch> nlvr(BertTokenizer tokenizer) {
        return samples -> {
            int b = samples.size();
            int[] idx = new int[b];
            int[] labels = new int[b];
            List<Pixels> px = new ArrayList<>(2 * b);
            List<String> texts = new ArrayList<>(b);
            for (NlvrDataset.Sample s : samples) {
                px.add(s.image0());
            }
            for (int i = 0; i < b; i++) {
                NlvrDataset.Sample s = samples.get(i);
                idx[i] = s.index();
                labels[i] = s.label();
                px.add(s.image1());
                texts.add(s.sentence());
            }
            Pixels first = px.get(0);
            return new Batch(
                    idx,
                    stack(px),
                    2,
                    first.height(),
                    first.width(),
                    Batch.Text.encode(tokenizer, texts, TextEncoding.NLVR),
                    null,
                    null,
                    labels,
                    null,
                    null,
                    null);
        };
    }

    /** {@code torch.stack}: concatenates CHW images of one size into NCHW. */
    public static float[] stack(List<Pixels> images) {
        if (images.isEmpty()) {
            return new float[0];
        }
        Pixels first = images.get(0);
        int per = first.chw().length;
        float[] out = new float[Math.multiplyExact(per, images.size())];
        for (int i = 0; i < images.size(); i++) {
            Pixels p = images.get(i);
            if (p.height() != first.height() || p.width() != first.width()) {
                throw new IllegalArgumentException("image " + i + " is " + p.width() + "x" + p.height()
                        + ", unlike image 0 (" + first.width() + "x" + first.height() + "); a batch needs one size");
            }
            System.arraycopy(p.chw(), 0, out, i * per, per);
        }
        return out;
    }
}

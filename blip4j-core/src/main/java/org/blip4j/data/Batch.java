package org.blip4j.data;

import java.util.List;
import org.blip4j.text.BertTokenizer;

/**
 * One collated batch, ready for a training or evaluation step: what BLIP's {@code DataLoader} yields after the
 * default collate ({@code torch.stack} of images) or {@code vqa_collate_fn}. Fields a task does not use are null.
 *
 * @param indices dataset index of each sample, in batch order (length B)
 * @param pixels normalised images, NCHW float32; N = B x {@code imagesPerSample}. For NLVR2 (2 images a sample) the
 *     first B images are every sample's {@code image0}, the next B its {@code image1}, as the reference's
 *     {@code torch.cat([image0, image1], dim=0)}
 * @param text the captions / questions / sentences, raw and tokenised
 * @param imageIds per sample: the remapped image id (caption/retrieval train), the annotation entry (pre-train) or
 *     the COCO id from the file name (Karpathy eval, -1 when none)
 * @param questionIds VQA question ids (-1 when absent)
 * @param labels NLVR2 labels (1 = True)
 * @param answers VQA train: every sample's distinct answers concatenated, tokenised (no truncation, longest padding)
 * @param answerWeights weight of each answer in {@code answers}
 * @param answerCounts number of answers of each sample ({@code n} in {@code vqa_collate_fn})
 * @param negatives pre-training / retrieval on a world that knows the truth: per sample a text false for its image
 *     (ITM's hard negative), "" where the sample has none ({@link #hasNegative}); null when no sample has one
 * @param knownTrue pre-training / retrieval on a world that knows the truth, when asked for: {@code knownTrue[i][j]}
 *     is true where sample j's text holds for sample i's image (i != j; the diagonal is false); null otherwise
 * @param patchRelations VQA on a world that knows the truth, when asked for (recipe key {@code patch_relations}):
 *     every row's patch-relation labels concatenated ({@code VqaDataset.Sample#patchRelations}); null otherwise
 */
public record Batch(
        int[] indices,
        float[] pixels,
        int imagesPerSample,
        int height,
        int width,
        Text text,
        long[] imageIds,
        long[] questionIds,
        int[] labels,
        Text answers,
        float[] answerWeights,
        int[] answerCounts,
        Text negatives,
        boolean[][] knownTrue,
        long[] patchRelations) {

    /** A batch without patch-relation labels. */
    public Batch(
            int[] indices,
            float[] pixels,
            int imagesPerSample,
            int height,
            int width,
            Text text,
            long[] imageIds,
            long[] questionIds,
            int[] labels,
            Text answers,
            float[] answerWeights,
            int[] answerCounts,
            Text negatives,
            boolean[][] knownTrue) {
        this(
                indices,
                pixels,
                imagesPerSample,
                height,
                width,
                text,
                imageIds,
                questionIds,
                labels,
                answers,
                answerWeights,
                answerCounts,
                negatives,
                knownTrue,
                null);
    }

    /** A batch without hard-negative texts. */
    public Batch(
            int[] indices,
            float[] pixels,
            int imagesPerSample,
            int height,
            int width,
            Text text,
            long[] imageIds,
            long[] questionIds,
            int[] labels,
            Text answers,
            float[] answerWeights,
            int[] answerCounts) {
        this(
                indices,
                pixels,
                imagesPerSample,
                height,
                width,
                text,
                imageIds,
                questionIds,
                labels,
                answers,
                answerWeights,
                answerCounts,
                null,
                null);
    }

    /** Whether sample {@code i} carries a hard-negative text. */
    public boolean hasNegative(int i) {
        return negatives != null && !negatives.strings().get(i).isEmpty();
    }

    /**
     * Texts and, when a tokenizer was given, their token ids and attention mask (B rows, padded as the task's
     * {@link TextEncoding}); ids and mask are null without a tokenizer.
     */
    public record Text(List<String> strings, long[][] inputIds, long[][] attentionMask) {
        /** Tokenises {@code strings} as the task does (or keeps them raw when {@code tokenizer} is null). */
        public static Text encode(BertTokenizer tokenizer, List<String> strings, TextEncoding encoding) {
            if (tokenizer == null) {
                return new Text(List.copyOf(strings), null, null);
            }
            BertTokenizer.Encoding e = tokenizer.encode(strings, encoding.maxLength(), encoding.padding());
            return new Text(List.copyOf(strings), e.ids(), e.attentionMask());
        }

        /** Sequence length after padding (0 without a tokenizer or for no rows). */
        public int length() {
            return inputIds == null || inputIds.length == 0 ? 0 : inputIds[0].length;
        }
    }

    /** Number of samples B. */
    public int size() {
        return indices.length;
    }

    /** Number of images N in {@link #pixels()}. */
    public int imageCount() {
        return indices.length * imagesPerSample;
    }

    /** The NCHW shape {@code {N, 3, height, width}}. */
    public long[] pixelShape() {
        return new long[] {imageCount(), 3, height, width};
    }
}

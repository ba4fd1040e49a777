package org.blip4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.blip4j.image.ImageLoader;
import org.blip4j.text.BertTokenizer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CollateTest {
    @TempDir
    Path dir;

    private BertTokenizer tok;

    @BeforeEach
    void tokenizer() throws Exception {
        tok = BertTokenizer.fromVocab(DataTestSupport.vocab(dir));
    }

    private static Pixels px(float v) {
        float[] a = new float[3 * 2 * 2];
        Arrays.fill(a, v);
        return new Pixels(2, 2, a);
    }

    @Test
    void captionBatchesStackImagesAndTokenizeAsTheTask() {
        List<CaptionDataset.Sample> s = List.of(
                new CaptionDataset.Sample(7, px(1), "a picture of a dog", 3),
                new CaptionDataset.Sample(2, px(2), "a picture of two dogs sitting on the left", 0));
        Batch caption = Collate.captions(tok, TextEncoding.CAPTION).apply(s);
        assertEquals(2, caption.size());
        assertArrayEquals(new long[] {2, 3, 2, 2}, caption.pixelShape());
        assertEquals(1f, caption.pixels()[0]);
        assertEquals(2f, caption.pixels()[12]);
        assertArrayEquals(new int[] {7, 2}, caption.indices());
        assertArrayEquals(new long[] {3, 0}, caption.imageIds());
        // longest padding: [CLS] a picture of two dogs sitting on the left [SEP] = 11 tokens
        assertEquals(11, caption.text().length());
        assertArrayEquals(
                new long[] {1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0}, caption.text().attentionMask()[0]);
        assertEquals(tok.clsId(), caption.text().inputIds()[0][0]);
        Batch pre = Collate.captions(tok, TextEncoding.PRETRAIN).apply(s);
        assertEquals(30, pre.text().length());
        Batch retrieval = Collate.captions(tok, TextEncoding.RETRIEVAL).apply(s);
        assertEquals(35, retrieval.text().length());
        assertNull(Collate.captions(null, TextEncoding.CAPTION).apply(s).text().inputIds());
    }

    @Test
    void vqaBatchesFlattenAnswersLikeVqaCollateFn() {
        List<VqaDataset.Sample> s = List.of(
                new VqaDataset.Sample(
                        0, px(0), "what color is the dog?", List.of("red", "blue"), new float[] {0.8f, 0.2f}, 5),
                new VqaDataset.Sample(1, px(0), "is there a cat?", List.of("yes"), new float[] {0.2f}, -1));
        Batch b = Collate.vqa(tok).apply(s);
        assertEquals(List.of("red", "blue", "yes"), b.answers().strings());
        assertArrayEquals(new float[] {0.8f, 0.2f, 0.2f}, b.answerWeights());
        assertArrayEquals(new int[] {2, 1}, b.answerCounts());
        assertArrayEquals(new long[] {5, -1}, b.questionIds());
        assertEquals(3, b.answers().inputIds().length);
        assertEquals(3, b.answers().length()); // [CLS] answer [SEP]
        Batch test = Collate.vqa(tok).apply(List.of(new VqaDataset.Sample(0, px(0), "q", List.of(), new float[0], 9)));
        assertNull(test.answers());
        assertArrayEquals(new long[] {9}, test.questionIds());
    }

    @Test
    void nlvrBatchesPutAllLeftImagesFirst() {
        List<NlvrDataset.Sample> s = List.of(
                new NlvrDataset.Sample(0, px(1), px(2), "the left dog", 1),
                new NlvrDataset.Sample(1, px(3), px(4), "two cats", 0));
        Batch b = Collate.nlvr(tok).apply(s);
        assertEquals(4, b.imageCount());
        float[] firsts = new float[4];
        for (int i = 0; i < 4; i++) {
            firsts[i] = b.pixels()[i * 12];
        }
        assertArrayEquals(new float[] {1, 3, 2, 4}, firsts);
        assertArrayEquals(new int[] {1, 0}, b.labels());
    }

    @Test
    void nlvrSwapExchangesImagesAndWords() throws Exception {
        Path a = DataTestSupport.writePng(dir.resolve("a.png"), DataTestSupport.grey(4, 4, (x, y) -> 10));
        Path c = DataTestSupport.writePng(dir.resolve("b.png"), DataTestSupport.grey(4, 4, (x, y) -> 250));
        NlvrDataset ds = new NlvrDataset(
                List.of(new NlvrDataset.Item(a.toString(), c.toString(), "the left dog", 1)),
                ImageTransform.test(4),
                ImageLoader.defaults(),
                true);
        int swapped = 0;
        for (int seed = 0; seed < 200; seed++) {
            NlvrDataset.Sample smp = ds.load(0, new SplittableRandom(seed));
            boolean sw = smp.image0().chw()[0] > 0;
            assertEquals(sw ? "the right dog" : "the left dog", smp.sentence());
            swapped += sw ? 1 : 0;
        }
        assertEquals(100, swapped, 30);
        NlvrDataset fixed = ds.withSwap(false);
        for (int seed = 0; seed < 20; seed++) {
            assertEquals(
                    "the left dog", fixed.load(0, new SplittableRandom(seed)).sentence());
        }
    }
}

package org.blip4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AnnotationsTest {
    @TempDir
    Path dir;

    private final ImageTransform test = ImageTransform.test(8);

    @Test
    void pretrainExpandsCaptionListsAndCleansCaptions() throws Exception {
        Path f = DataTestSupport.write(dir.resolve("pre.json"), """
        [{"image": "/abs/a.jpg", "caption": "A Dog!  Running.", "url": "ignored"},
         {"image": "b.jpg", "caption": ["First (one)", "second"]}]""");
        CaptionDataset ds = CaptionDataset.pretrain(List.of(f), dir.resolve("imgs"), test);
        assertEquals(3, ds.size());
        assertEquals(new CaptionDataset.Item("/abs/a.jpg", "a dog running", 0), ds.item(0));
        assertEquals(new CaptionDataset.Item(dir.resolve("imgs/b.jpg").toString(), "first one", 1), ds.item(1));
        assertEquals("second", ds.item(2).caption());
        assertEquals(1, ds.item(2).imageId());
    }

    @Test
    void pretrainTruncatesToThirtyWords() throws Exception {
        String longCaption = "w ".repeat(40).trim();
        Path f = DataTestSupport.write(
                dir.resolve("pre.jsonl"), "{\"image\": \"a.jpg\", \"caption\": \"" + longCaption + "\"}\n");
        CaptionDataset ds = CaptionDataset.pretrain(List.of(f), null, test);
        assertEquals(30, ds.item(0).caption().split(" ").length);
    }

    @Test
    void karpathyTrainRemapsImageIdsInFirstAppearanceOrderAndAddsPrompt() throws Exception {
        Path f = DataTestSupport.write(dir.resolve("train.json"), """
        [{"image": "val2014/x_5.jpg", "caption": "A cat.", "image_id": "coco_5"},
         {"image": "val2014/x_9.jpg", "caption": "Two dogs", "image_id": "coco_9"},
         {"image": "val2014/x_5.jpg", "caption": "the cat", "image_id": "coco_5"},
         {"image": "val2014/x_1.jpg", "caption": "man", "image_id": 1, "extra": [1, 2]}]""");
        CaptionDataset ds = CaptionDataset.karpathyTrain(f, dir, test, CaptionDataset.CAPTION_PROMPT);
        assertEquals(
                List.of(0, 1, 0, 2),
                ds.items().stream().map(CaptionDataset.Item::imageId).toList());
        assertEquals("a picture of a cat", ds.item(0).caption());
        assertEquals(dir.resolve("val2014/x_9.jpg").toString(), ds.item(1).image());
        assertEquals(3, ds.imageIdCount());
        CaptionDataset retrieval = CaptionDataset.karpathyTrain(f, dir, test, "");
        assertEquals("two dogs", retrieval.item(1).caption());
    }

    @Test
    void jsonLinesGivesTheSameEntriesAsJson() throws Exception {
        Path json = DataTestSupport.write(dir.resolve("a.json"), """
        [{"image": "i1.jpg", "caption": "one", "image_id": "1"},
         {"image": "i2.jpg", "caption": "two", "image_id": "2"}]""");
        Path jsonl = DataTestSupport.write(dir.resolve("a.jsonl"), """
        {"image": "i1.jpg", "caption": "one", "image_id": "1"}

        {"image": "i2.jpg", "caption": "two", "image_id": "2"}
        """);
        assertEquals(Annotations.readKarpathyTrain(json), Annotations.readKarpathyTrain(jsonl));
        // detection by content: a .json file holding JSON Lines
        Path sneaky = DataTestSupport.write(dir.resolve("b.json"), java.nio.file.Files.readString(jsonl));
        assertEquals(Annotations.readKarpathyTrain(json), Annotations.readKarpathyTrain(sneaky));
    }

    @Test
    void retrievalEvalBuildsIndexMaps() throws Exception {
        Path f = DataTestSupport.write(dir.resolve("test.json"), """
        [{"image": "val2014/COCO_val2014_000000391895.jpg", "caption": ["A", "B", "C"]},
         {"image": "flickr/1000092795.jpg", "caption": ["D", "E"]}]""");
        RetrievalEvalDataset ds = RetrievalEvalDataset.karpathy(f, dir, test);
        assertEquals(2, ds.size());
        assertEquals(List.of("a", "b", "c", "d", "e"), ds.texts());
        assertArrayEquals(new int[] {0, 0, 0, 1, 1}, ds.txt2img());
        assertArrayEquals(new int[] {0, 1, 2}, ds.img2txt()[0]);
        assertArrayEquals(new int[] {3, 4}, ds.img2txt()[1]);
        assertEquals(391895L, RetrievalEvalDataset.cocoImageId(ds.images().get(0)));
        assertEquals(1000092795L, RetrievalEvalDataset.cocoImageId(ds.images().get(1)));
        assertEquals(-1L, RetrievalEvalDataset.cocoImageId("photo.png"));
    }

    @Test
    void vqaTrainWeightsAnswersLikeTheReference() throws Exception {
        Path vqa = DataTestSupport.write(dir.resolve("vqa_train.json"), """
        [{"question": "What color is the dog?", "answer": ["red", "red", "blue", "red", "red", "red", "red",
           "red", "red", "blue"], "image": "train2014/a.jpg", "dataset": "vqa", "question_id": 7}]""");
        Path vg = DataTestSupport.write(dir.resolve("vg_qa.jsonl"), """
        {"question": "Is there a man?", "answer": "yes", "image": "vg/b.jpg", "dataset": "vg"}
        """);
        VqaDataset ds = VqaDataset.train(List.of(vqa, vg), dir.resolve("coco"), dir.resolve("vg"), test);
        VqaDataset.Item a = ds.items().get(0);
        assertEquals("what color is the dog?", a.question());
        assertEquals(List.of("red", "blue"), a.answers());
        double red = 0;
        for (int i = 0; i < 8; i++) {
            red += 0.1; // the reference's repeated 1/len additions, not 8/10
        }
        assertArrayEquals(new float[] {(float) red, (float) (0.1 + 0.1)}, a.weights());
        assertEquals(7L, a.questionId());
        assertEquals(dir.resolve("coco/train2014/a.jpg").toString(), a.image());
        VqaDataset.Item b = ds.items().get(1);
        assertEquals(List.of("yes"), b.answers());
        assertArrayEquals(new float[] {0.2f}, b.weights());
        assertEquals(dir.resolve("vg/vg/b.jpg").toString(), b.image());
        assertEquals(-1L, b.questionId());
    }

    @Test
    void vqaTestNeedsQuestionIds() throws Exception {
        Path ok = DataTestSupport.write(dir.resolve("vqa_test.json"), """
        [{"question_id": 262144000, "question": "Is the ball flying?", "image": "test2015/x.jpg"}]""");
        VqaDataset ds = VqaDataset.test(ok, dir, dir, test);
        assertEquals(262144000L, ds.items().get(0).questionId());
        assertTrue(ds.items().get(0).answers().isEmpty());
        Path bad = DataTestSupport.write(dir.resolve("bad_test.json"), """
        [{"question_id": 1, "question": "q", "image": "a.jpg"}, {"question": "q", "image": "b.jpg"}]""");
        AnnotationException e = assertThrows(AnnotationException.class, () -> VqaDataset.test(bad, dir, dir, test));
        assertEquals(1, e.entry());
        assertTrue(e.getMessage().contains("bad_test.json") && e.getMessage().contains("question_id"), e.getMessage());
    }

    @Test
    void nlvrReadsPairsAndLabels() throws Exception {
        Path f = DataTestSupport.write(dir.resolve("nlvr_dev.json"), """
        [{"images": ["dev/a-img0.png", "dev/a-img1.png"], "sentence": "The left image has two dogs.",
          "label": "True", "identifier": "x"},
         {"images": ["dev/b-img0.png", "dev/b-img1.png"], "sentence": "No cats.", "label": "False"}]""");
        NlvrDataset ds = NlvrDataset.read(f, dir, test);
        assertEquals(
                new NlvrDataset.Item(
                        dir.resolve("dev/a-img0.png").toString(),
                        dir.resolve("dev/a-img1.png").toString(),
                        "the left image has two dogs",
                        1),
                ds.items().get(0));
        assertEquals(0, ds.items().get(1).label());
        assertEquals("the right image has two dogs", NlvrDataset.swapLeftRight("the left image has two dogs"));
        assertEquals("leftover right left", NlvrDataset.swapLeftRight("leftover left right"));
    }

    @Test
    void errorsNameFileEntryAndKey() throws Exception {
        Path f = DataTestSupport.write(dir.resolve("broken.json"), """
        [{"image": "a.jpg", "caption": "ok", "image_id": "1"},
         {"image": "b.jpg", "caption": 5, "image_id": "2"}]""");
        AnnotationException e = assertThrows(AnnotationException.class, () -> Annotations.readKarpathyTrain(f));
        assertEquals(1, e.entry());
        assertEquals(f, e.file());
        assertTrue(e.getMessage().contains("broken.json: entry 1: 'caption' must be a string"), e.getMessage());

        Path jl = DataTestSupport.write(
                dir.resolve("broken.jsonl"), "{\"image\": \"a\", \"caption\": \"c\"}\n\n" + "{\"caption\": \"c\"}\n");
        e = assertThrows(AnnotationException.class, () -> Annotations.readPretrain(jl));
        assertTrue(e.getMessage().contains("entry 1 (line 3): missing key 'image'"), e.getMessage());

        Path syntax = DataTestSupport.write(dir.resolve("syntax.json"), "[{\"image\": \"a\",}]");
        e = assertThrows(AnnotationException.class, () -> Annotations.readPretrain(syntax));
        assertTrue(e.getMessage().startsWith(syntax + ": invalid JSON"), e.getMessage());

        Path label = DataTestSupport.write(dir.resolve("label.json"), """
        [{"images": ["a", "b"], "sentence": "s", "label": "maybe"}]""");
        e = assertThrows(AnnotationException.class, () -> Annotations.readNlvr(label));
        assertTrue(e.getMessage().contains("entry 0: 'label' must be \"True\" or \"False\""), e.getMessage());

        Path ds = DataTestSupport.write(dir.resolve("ds.json"), """
        [{"question": "q", "answer": "a", "image": "i", "dataset": "gqa"}]""");
        e = assertThrows(AnnotationException.class, () -> Annotations.readVqa(ds, true));
        assertTrue(e.getMessage().contains("'dataset' must be"), e.getMessage());

        Path notArray = DataTestSupport.write(dir.resolve("obj.json"), "[1, 2]");
        e = assertThrows(AnnotationException.class, () -> Annotations.readPretrain(notArray));
        assertTrue(e.getMessage().contains("entry 0: expected an object"), e.getMessage());

        e = assertThrows(AnnotationException.class, () -> Annotations.readPretrain(dir.resolve("missing.json")));
        assertTrue(e.getMessage().contains("file not found"), e.getMessage());
    }

    @Test
    void pretrainFromAStreamReadsAsTheFileAndNamesTheSourceInErrors() throws Exception {
        String lines = "{\"image\": \"a.jpg\", \"caption\": \"x\"}\n\n"
                + "{\"image\": \"b.jpg\", \"caption\": [\"y\", \"z\"]}\n";
        Path f = DataTestSupport.write(dir.resolve("web.jsonl"), lines);
        List<Annotations.Pretrain> fromFile = new java.util.ArrayList<>();
        Annotations.streamPretrain(f, (i, e) -> fromFile.add(e));
        List<Annotations.Pretrain> fromStream = new java.util.ArrayList<>();
        List<Integer> indices = new java.util.ArrayList<>();
        byte[] bytes = lines.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Annotations.streamPretrain(new java.io.ByteArrayInputStream(bytes), "hdfs://nn/web.jsonl", (i, e) -> {
            fromStream.add(e);
            indices.add(i);
        });
        assertEquals(fromFile, fromStream);
        assertEquals(List.of(0, 1), indices);
        byte[] array = "[{\"image\": \"a.jpg\", \"caption\": \"x\"}, {\"caption\": \"y\"}]"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        AnnotationException e = assertThrows(
                AnnotationException.class,
                () -> Annotations.streamPretrain(
                        new java.io.ByteArrayInputStream(array), "s3a://bucket/web.json", (i, x) -> {}));
        assertEquals("s3a://bucket/web.json: entry 1: missing key 'image'", e.getMessage());
        assertEquals(null, e.file());
    }

    @Test
    void answerList() throws Exception {
        Path f = DataTestSupport.write(dir.resolve("answer_list.json"), "[\"yes\", \"no\", \"2\"]");
        assertEquals(List.of("yes", "no", "2"), Annotations.readAnswerList(f));
    }
}

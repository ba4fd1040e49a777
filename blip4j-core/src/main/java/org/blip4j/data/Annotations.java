package org.blip4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Readers for BLIP's annotation formats (the records {@code data/*.py} index with {@code ann['...']}), each from a
 * JSON array or JSON Lines file; unknown keys are ignored and a malformed entry raises an {@link AnnotationException}
 * naming the file, the entry index and the key. Values are returned as written (no caption clean-up, no path
 * resolution): the datasets do that.
 */
public final class Annotations {
    private Annotations() {}

    /** A pre-training pair {@code {image, caption}}; {@code caption} may be a string or a list of strings. */
    public record Pretrain(String image, List<String> captions) {}

    /** A Karpathy train entry {@code {image, caption, image_id}}; a numeric {@code image_id} is kept as its text. */
    public record KarpathyTrain(String image, String caption, String imageId) {}

    /** A Karpathy val/test entry {@code {image, caption: [...]}} (five captions for COCO and Flickr30k). */
    public record KarpathyEval(String image, List<String> captions) {}

    /**
     * A VQA entry {@code {question, answer, image, dataset, question_id?}}: {@code answer} a list (VQA v2) or a string
     * (Visual Genome), absent in test files (empty list); {@code dataset} is {@code "vqa"} or {@code "vg"} (absent
     * means {@code "vqa"}); {@code questionId} is null when absent.
     */
    public record Vqa(String question, List<String> answers, String image, String dataset, Long questionId) {}

    /** An NLVR2 entry {@code {images: [p0, p1], sentence, label: "True"|"False"}}. */
    public record Nlvr(String image0, String image1, String sentence, boolean label) {}

    /** Receives the entries of a streamed file one at a time, with their 0-based index in the file. */
    @FunctionalInterface
    public interface EntryHandler<E> {
        void accept(int index, E entry) throws IOException;
    }

    /**
     * Streams a pre-training list ({@code {image, caption}} entries, JSON array or JSON Lines) entry by entry, in file
     * order, without holding the file in memory.
     */
    public static void streamPretrain(Path file, EntryHandler<Pretrain> handler) throws IOException {
        AnnotationFile.read(
                file, e -> handler.accept(e.index(), new Pretrain(e.string("image"), e.stringOrList("caption"))));
    }

    /**
     * {@link #streamPretrain(Path, EntryHandler)} from an open stream (the caller closes it), e.g. a file on a Hadoop
     * file system: {@code name} labels error messages and, ending in {@code .jsonl} or {@code .ndjson}, selects JSON
     * Lines as for a file; otherwise the first non-blank character decides ({@code [}: a JSON array).
     */
    public static void streamPretrain(java.io.InputStream in, String name, EntryHandler<Pretrain> handler)
            throws IOException {
        AnnotationFile.read(
                in, name, e -> handler.accept(e.index(), new Pretrain(e.string("image"), e.stringOrList("caption"))));
    }

    /** Streams the objects of a JSON array or JSON Lines file as they are written, in file order. */
    public static void streamObjects(Path file, EntryHandler<JsonNode> handler) throws IOException {
        AnnotationFile.read(file, e -> handler.accept(e.index(), e.node()));
    }

    /** Reads a pre-training list ({@code pretrain_dataset}). */
    public static List<Pretrain> readPretrain(Path file) throws IOException {
        List<Pretrain> out = new ArrayList<>();
        AnnotationFile.read(file, e -> out.add(new Pretrain(e.string("image"), e.stringOrList("caption"))));
        return out;
    }

    /** Reads a Karpathy train file ({@code coco_karpathy_train.json}, {@code flickr30k_train.json}). */
    public static List<KarpathyTrain> readKarpathyTrain(Path file) throws IOException {
        List<KarpathyTrain> out = new ArrayList<>();
        AnnotationFile.read(file, e -> {
            JsonNode id = e.optional("image_id");
            if (id == null) {
                throw e.error("missing key 'image_id'");
            }
            if (!id.isTextual() && !id.isIntegralNumber()) {
                throw e.error("'image_id' must be a string or an integer, got " + AnnotationFile.kind(id));
            }
            out.add(new KarpathyTrain(e.string("image"), e.string("caption"), id.asText()));
        });
        return out;
    }

    /** Reads a Karpathy val/test file ({@code coco_karpathy_{val,test}.json}, {@code flickr30k_{val,test}.json}). */
    public static List<KarpathyEval> readKarpathyEval(Path file) throws IOException {
        List<KarpathyEval> out = new ArrayList<>();
        AnnotationFile.read(file, e -> out.add(new KarpathyEval(e.string("image"), e.stringList("caption", 1))));
        return out;
    }

    /**
     * Reads a VQA file ({@code vqa_train.json}, {@code vqa_val.json}, {@code vg_qa.json}, {@code vqa_test.json}).
     *
     * @param requireAnswers true for training files (an {@code answer} is then required), false for test files
     */
    public static List<Vqa> readVqa(Path file, boolean requireAnswers) throws IOException {
        List<Vqa> out = new ArrayList<>();
        AnnotationFile.read(file, e -> {
            String dataset = "vqa";
            JsonNode ds = e.optional("dataset");
            if (ds != null) {
                if (!ds.isTextual()
                        || !(ds.textValue().equals("vqa") || ds.textValue().equals("vg"))) {
                    throw e.error("'dataset' must be \"vqa\" or \"vg\", got " + ds);
                }
                dataset = ds.textValue();
            }
            List<String> answers =
                    requireAnswers || e.optional("answer") != null ? e.stringOrList("answer") : List.of();
            Long qid = null;
            JsonNode q = e.optional("question_id");
            if (q != null) {
                if (q.isIntegralNumber() && q.canConvertToLong()) {
                    qid = q.longValue();
                } else if (q.isTextual() && q.textValue().matches("-?\\d{1,18}")) {
                    qid = Long.parseLong(q.textValue());
                } else {
                    throw e.error("'question_id' must be an integer, got " + q);
                }
            }
            out.add(new Vqa(e.string("question"), answers, e.string("image"), dataset, qid));
        });
        return out;
    }

    /** Reads an NLVR2 file ({@code nlvr_{train,dev,test}.json}); the label may also be a JSON boolean. */
    public static List<Nlvr> readNlvr(Path file) throws IOException {
        List<Nlvr> out = new ArrayList<>();
        AnnotationFile.read(file, e -> {
            List<String> images = e.stringList("images", 2);
            if (images.size() != 2) {
                throw e.error("'images' must hold exactly 2 paths, got " + images.size());
            }
            JsonNode l = e.optional("label");
            boolean label;
            if (l == null) {
                throw e.error("missing key 'label'");
            } else if (l.isBoolean()) {
                label = l.booleanValue();
            } else if (l.isTextual()
                    && (l.textValue().equals("True") || l.textValue().equals("False"))) {
                label = l.textValue().equals("True");
            } else {
                throw e.error("'label' must be \"True\" or \"False\", got " + l);
            }
            out.add(new Nlvr(images.get(0), images.get(1), e.string("sentence"), label));
        });
        return out;
    }

    /** Reads {@code answer_list.json}: one JSON array of answer strings (3,128 for VQA v2). */
    public static List<String> readAnswerList(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new AnnotationException(file, -1, -1, "file not found");
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AnnotationException(file, "invalid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isArray()) {
            throw new AnnotationException(file, -1, -1, "expected a JSON array of strings");
        }
        List<String> out = new ArrayList<>(root.size());
        for (int i = 0; i < root.size(); i++) {
            if (!root.get(i).isTextual()) {
                throw new AnnotationException(
                        file, i, -1, "expected a string, got " + AnnotationFile.kind(root.get(i)));
            }
            out.add(root.get(i).textValue());
        }
        return out;
    }
}

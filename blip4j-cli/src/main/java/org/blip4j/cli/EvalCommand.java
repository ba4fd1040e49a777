package org.blip4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.blip4j.Blip;
import org.blip4j.data.Annotations;
import org.blip4j.eval.ConfusionMatrix;
import org.blip4j.eval.ConfusionPlot;
import org.blip4j.eval.Evaluation;
import org.blip4j.eval.ShapesTruth;
import org.blip4j.eval.VqaAccuracy;
import org.blip4j.generate.GenerationDefaults;
import org.blip4j.shapes.Scene;
import org.blip4j.shapes.SceneFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code blip4j eval}: score a model on an evaluation split with the reference's metrics (and the world's truth). */
@Command(
        name = "eval",
        mixinStandardHelpOptions = true,
        description = {
            "Evaluate: caption (BLEU-1..4, ROUGE-L, CIDEr-D with PTB tokenisation), retrieval (R@1/5/10 both "
                    + "directions, ITC top-k re-ranked by ITM or by --captioner), vqa (VQA accuracy), nlvr (accuracy).",
            "On shapes-world data (a scenes.json in the image root, or --scenes) it also judges the outputs against "
                    + "the scenes: caption truth rate and shape/colour word accuracy, retrieval truth@1/5, and shape "
                    + "and colour confusion matrices; VQA files with question_type get the accuracy per type "
                    + "(docs/shapes.md, \"Measuring truth\")."
        },
        footer = {
            "",
            "Examples:",
            "  blip4j eval caption -m output/caption/model --data coco_karpathy_test.json --images coco/",
            "  blip4j eval retrieval -m model/ --data flickr30k_test.json --images flickr30k/ -k 128",
            "  blip4j eval retrieval -m shapes --captioner shapes --data data/shapes/caption_test.json "
                    + "--images data/shapes -k 64",
            "  blip4j eval vqa -m model/ --data vqa_val.json --images vqa/ --answers answer_list.json",
            "  blip4j eval caption -m shapes --data data/shapes/caption_test.json --images data/shapes --json "
                    + "--confusion caption-confusion.png"
        })
final class EvalCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Parameters(index = "0", paramLabel = "TASK", description = "caption, retrieval, vqa or nlvr.")
    String task;

    @Option(names = "--data", required = true, description = "Annotation file in BLIP's format for the task.")
    Path data;

    @Option(names = "--images", required = true, description = "Image root folder.")
    Path images;

    @Option(
            names = "-k",
            defaultValue = "256",
            description = "Retrieval candidates re-ranked by ITM (COCO 256, Flickr "
                    + "128); VQA rank candidates (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--answers", description = "VQA: rank this answer list (answer_list.json) instead of generating.")
    Path answers;

    @Option(
            names = "--beams",
            description = "Caption beam width (default: the model's generation_config.json, else 3).")
    Integer beams;

    @Option(
            names = "--max-length",
            description = "Caption max length incl. prompt (default: the model's generation_config.json, else "
                    + "caption_coco.yaml's 20).")
    Integer maxLength;

    @Option(
            names = "--min-length",
            description = "Caption min length incl. prompt (default: the model's generation_config.json, else "
                    + "caption_coco.yaml's 5).")
    Integer minLength;

    @Option(
            names = "--no-repeat-ngram-size",
            paramLabel = "N",
            description = "Caption: never repeat an n-gram of N tokens; 0 = off (default: the model's "
                    + "generation_config.json, else 0).")
    Integer noRepeatNgramSize;

    @Option(names = "--batch-size", defaultValue = "8")
    int batchSize;

    @Option(
            names = "--scenes",
            paramLabel = "FILE",
            description = "caption, retrieval on shapes-world data: the "
                    + "scenes.json to judge outputs against (default: IMAGES/scenes.json when it exists; then "
                    + "images it does not describe only skip the truth metrics, with a warning). VQA needs "
                    + "none: question_type is in its file.")
    Path scenes;

    @Option(
            names = "--confusion",
            paramLabel = "FILE.png",
            description = "caption, vqa: write the shape and colour "
                    + "confusion matrices as this PNG and as JSON beside it (FILE.json).")
    Path confusion;

    @Option(
            names = "--center-texts",
            description = "retrieval, image→text: rank texts by ITC cosine minus each text's mean cosine over the "
                    + "test images (a hubness correction: texts near every image stop crowding the top k); "
                    + "text→image unchanged. Not BLIP's protocol. See docs/retrieval.md.")
    boolean centerTexts;

    @Option(
            names = "--results",
            paramLabel = "FILE.json",
            description = "caption, vqa: also write every prediction, as the reference's result files do: a JSON "
                    + "array of {image_id, caption} (image_id = the annotation's image path) or {question_id, "
                    + "answer, question, image[, question_type]}.")
    Path results;

    @Option(names = "--int8", description = "caption, vqa: decode with int8 weights (see blip4j caption --int8).")
    boolean int8;

    @Option(
            names = "--captioner",
            paramLabel = "MODEL",
            description = "retrieval: re-rank the top-k candidates of both directions by this captioning model's "
                    + "log-probability of the text given the image, per token, instead of ITM ('shapes' = the "
                    + "embedded shapes/caption). See docs/retrieval.md.")
    String captioner;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> result = new LinkedHashMap<>();
        String t = task.toLowerCase(Locale.ROOT);
        if (!List.of("caption", "retrieval", "vqa", "nlvr").contains(t)) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "unknown task '" + task + "' (caption, retrieval, vqa, nlvr)");
        }
        try { // bad lengths are refused before the model loads
            CaptionCommand.withNoRepeat(
                    GenerationDefaults.NONE.beam(beams, maxLength, minLength, 3, 20, 5), noRepeatNgramSize);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        if (centerTexts && !t.equals("retrieval")) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "--center-texts: retrieval only (not " + t + ")");
        }
        if (results != null && !(t.equals("caption") || t.equals("vqa"))) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "--results: caption and vqa only (not " + t + ")");
        }
        PrintWriter err = spec.commandLine().getErr();
        Map<String, Scene> truth = null; // annotation image path -> scene, for caption and retrieval
        SceneIndex world = t.equals("caption") || t.equals("retrieval") ? world() : null;
        if (world != null) {
            List<String> paths = Annotations.readKarpathyEval(data).stream()
                    .map(Annotations.KarpathyEval::image)
                    .toList();
            truth = scenesOf(world, paths, err); // checked before the model runs
        }
        List<ConfusionMatrix> matrices = new ArrayList<>();
        try (Blip blip = model.load(t.equals("caption") || t.equals("vqa") || t.equals("nlvr") ? t : "retrieval")) {
            if (int8) {
                Int8Option.apply(blip, spec);
            }
            switch (t) {
                case "caption" -> {
                    Evaluation.CaptionRun run = Evaluation.captionRun(
                            blip,
                            data,
                            images,
                            CaptionCommand.withNoRepeat( // the model's ban unless the option says otherwise
                                    blip.generationDefaults().beam(beams, maxLength, minLength, 3, 20, 5),
                                    noRepeatNgramSize),
                            batchSize,
                            null);
                    result.putAll(run.scores().metrics());
                    if (results != null) {
                        List<Map<String, Object>> rows = new ArrayList<>();
                        run.candidates().forEach((image, caption) -> {
                            Map<String, Object> row = new LinkedHashMap<>();
                            row.put("image_id", image);
                            row.put("caption", caption);
                            rows.add(row);
                        });
                        writeResults(rows);
                    }
                    if (truth != null) {
                        List<Scene> sc = run.candidates().keySet().stream()
                                .map(truth::get)
                                .toList();
                        ShapesTruth.CaptionTruth ct = ShapesTruth.captions(
                                sc, new ArrayList<>(run.candidates().values()));
                        putCounts(result, ct.metrics());
                        matrices.add(ct.shapes());
                        matrices.add(ct.colors());
                    }
                }
                case "retrieval" -> {
                    Evaluation.RetrievalRun run;
                    try (Blip cap = captioner == null ? null : CaptionerOption.load(model, captioner, spec)) {
                        run = Evaluation.retrievalRun(blip, data, images, k, cap, centerTexts, null);
                    }
                    result.putAll(run.metrics());
                    if (truth != null) {
                        List<Scene> sc = run.images().stream().map(truth::get).toList();
                        result.putAll(ShapesTruth.retrieval(sc, run.texts(), run.i2t(), run.t2i())
                                .metrics());
                        result.putAll(Evaluation.itmPairs(blip, data, images, sc, 0));
                        result.putAll(Evaluation.tokenPlaces(
                                blip,
                                run.images().stream()
                                        .limit(500)
                                        .map(images::resolve)
                                        .toList()));
                    }
                }
                case "vqa" -> {
                    List<String> list = answers == null ? null : Annotations.readAnswerList(answers);
                    List<Annotations.Vqa> items = Annotations.readVqa(data, true);
                    List<String> types = new ArrayList<>();
                    Annotations.streamObjects(
                            data,
                            (i, node) -> types.add(
                                    node.hasNonNull("question_type")
                                            ? node.get("question_type").asText()
                                            : null));
                    List<String> preds = Evaluation.vqaAnswers(blip, items, images, list, k, null);
                    List<List<String>> gts =
                            items.stream().map(Annotations.Vqa::answers).toList();
                    result.put("vqa_accuracy", VqaAccuracy.overall(preds, gts));
                    if (results != null) {
                        List<Map<String, Object>> rows = new ArrayList<>();
                        for (int i = 0; i < items.size(); i++) {
                            Annotations.Vqa q = items.get(i);
                            Map<String, Object> row = new LinkedHashMap<>();
                            row.put("question_id", q.questionId() != null ? q.questionId() : (Object) (long) i);
                            row.put("answer", preds.get(i));
                            row.put("question", q.question());
                            row.put("image", q.image());
                            if (types.get(i) != null) {
                                row.put("question_type", types.get(i));
                            }
                            rows.add(row);
                        }
                        writeResults(rows);
                    }
                    if (types.stream().anyMatch(x -> x != null)) {
                        ShapesTruth.VqaTruth vt = ShapesTruth.vqa(types, preds, gts);
                        putCounts(result, vt.metrics());
                        matrices.add(vt.shapes());
                        matrices.add(vt.colors());
                    }
                }
                default -> result.put("accuracy", Evaluation.nlvr(blip, data, images, null));
            }
        }
        if (!matrices.isEmpty()) {
            Map<String, Object> conf = new LinkedHashMap<>();
            conf.put("shape", matrices.get(0).toJson());
            conf.put("color", matrices.get(1).toJson());
            result.put("confusion", conf);
            if (confusion != null) {
                ConfusionPlot.write(confusion, matrices, w -> err.println("blip4j: warning: " + w));
                String name = confusion.getFileName().toString();
                Path json = confusion.resolveSibling(
                        (name.endsWith(".png") ? name.substring(0, name.length() - 4) : name) + ".json");
                Files.writeString(
                        json,
                        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(conf) + "\n");
            }
        } else if (confusion != null) {
            err.println("blip4j: warning: no confusion matrices for this data (shapes-world caption or vqa data only); "
                    + confusion + " not written");
        }
        var out = spec.commandLine().getOut();
        if (model.json) {
            out.println(new ObjectMapper().writeValueAsString(result));
        } else {
            int w = 12;
            for (String key : result.keySet()) {
                w = Math.max(w, key.equals("confusion") ? 0 : key.length());
            }
            for (Map.Entry<String, Object> e : result.entrySet()) {
                if (!e.getKey().equals("confusion")) {
                    out.printf("%-" + w + "s %s%n", e.getKey(), e.getValue());
                }
            }
            for (ConfusionMatrix m : matrices) {
                out.println();
                out.print(m.format());
            }
        }
        err.flush();
        return 0;
    }

    /** Writes {@code --results}: one JSON array, its folder created; a failure names the file. */
    private void writeResults(List<Map<String, Object>> rows) throws IOException {
        try {
            Path parent = results.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(results.toFile(), rows);
        } catch (IOException e) {
            throw new IOException("--results " + results + ": cannot write (" + e.getMessage() + ")", e);
        }
    }

    /** Adds metrics, counts ({@code *_judged}, {@code vqa_questions_*}) as integers. */
    private static void putCounts(Map<String, Object> result, Map<String, Double> metrics) {
        metrics.forEach((key, v) -> result.put(
                key, key.endsWith("_judged") || key.startsWith("vqa_questions_") ? (Object) Math.round(v) : v));
    }

    /** The shapes world's scenes by image path, or null when this is not shapes-world data. */
    private SceneIndex world() throws IOException {
        Path f = scenes != null ? scenes : images.resolve(SceneFile.NAME);
        if (scenes == null && !Files.isRegularFile(f)) {
            return null;
        }
        if (!Files.isRegularFile(f)) {
            throw new java.io.FileNotFoundException(f + ": file not found (--scenes)");
        }
        return new SceneIndex(SceneFile.read(f), f.toAbsolutePath().normalize().getParent());
    }

    /** Scenes by their image path as written, and by absolute path (relative to the scenes file's folder). */
    private record SceneIndex(Map<String, Scene> byName, Path dir) {
        Scene find(String image, Path root) {
            Scene s = byName.get(image);
            if (s != null) {
                return s;
            }
            Path p = root.resolve(image).toAbsolutePath().normalize();
            return p.startsWith(dir) ? byName.get(dir.relativize(p).toString().replace('\\', '/')) : null;
        }
    }

    /**
     * The scene of each image (its annotation path as scenes.json writes it, or the same file under --images), or
     * null when the world does not describe one of them (an error with --scenes, a warning when the scenes file was
     * only found beside the images).
     */
    private Map<String, Scene> scenesOf(SceneIndex world, List<String> imagePaths, PrintWriter err) throws IOException {
        Map<String, Scene> out = new LinkedHashMap<>();
        for (String image : imagePaths) {
            Scene s = world.find(image, images);
            if (s == null) {
                String msg = (scenes != null ? scenes : images.resolve(SceneFile.NAME)) + " does not describe " + image;
                if (scenes != null) {
                    throw new IOException(msg);
                }
                err.println("blip4j: warning: " + msg + "; truth metrics skipped");
                return null;
            }
            out.put(image, s);
        }
        return out;
    }
}

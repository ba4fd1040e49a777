package org.blip4j.shapes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Generates the shapes world into a folder: PNG images and BLIP-format annotation files for pre-training (human and
 * noisy web captions), captioning, retrieval, VQA and NLVR2. The output is byte-for-byte a function of the
 * {@link ShapesConfig} (thread count aside): every item is drawn from its own generator seeded by (seed, split, index).
 */
public final class ShapesGenerator {
    /** Generator format version, written to the manifest; bump when the output for a seed changes. */
    public static final int VERSION = 1;

    /** Files written next to {@code images/}, in the order they are written. */
    public static final List<String> FILES = List.of(
            "pretrain_human.json",
            "caption_train.json",
            "caption_val.json",
            "caption_test.json",
            "caption_val_gt.json",
            "caption_test_gt.json",
            "web.json",
            "web_noise_labels.json",
            "vqa_train.json",
            "vqa_val.json",
            "vqa_test.json",
            "answer_list.json",
            "nlvr_train.json",
            "nlvr_test.json",
            "scenes.json",
            "vocab.txt",
            "manifest.json",
            "README.md");

    /** Image splits. */
    public enum Split {
        TRAIN(1),
        VAL(2),
        TEST(3),
        WEB(4);

        final int stream;

        Split(int stream) {
            this.stream = stream;
        }

        /** Lower-case name, also the image folder. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Receives progress while images are written (from worker threads). */
    public interface Listener {
        void imageWritten(int done, int total);
    }

    /**
     * What a run wrote.
     *
     * @param images number of PNG files
     * @param records records per JSON file
     * @param webNoise web captions per noise label
     */
    public record Summary(int images, Map<String, Integer> records, Map<String, Integer> webNoise) {}

    private static final int CAPTION_STREAM = 10;
    private static final int WEB_ASSIGN_STREAM = 20;
    private static final int WEB_STREAM = 21;
    private static final int VQA_STREAM = 30;
    private static final int NLVR_TRAIN_STREAM = 41;
    private static final int NLVR_TEST_STREAM = 42;

    private final ShapesConfig cfg;
    private final Path out;
    private final ObjectMapper json = new ObjectMapper();
    private final SceneSampler sampler;
    private final CaptionGenerator captions = new CaptionGenerator();
    private final QuestionGenerator questions;
    private final NlvrGenerator nlvr = new NlvrGenerator();
    private final Map<Split, Scene[]> scenes = new EnumMap<>(Split.class);
    private final Map<String, Integer> records = new LinkedHashMap<>();
    private final Map<String, Integer> noiseCounts = new LinkedHashMap<>();

    private ShapesGenerator(ShapesConfig cfg, Path out) {
        this.cfg = cfg;
        this.out = out;
        this.sampler = new SceneSampler(cfg);
        this.questions = new QuestionGenerator(cfg.maxObjects());
    }

    /**
     * Generates everything into {@code out} (created if missing). Files of an earlier run are overwritten; images of a
     * larger earlier run would remain, so call {@link #clean(Path)} first when reusing a folder.
     *
     * @param listener told after each image, from worker threads; may be null
     */
    public static Summary generate(ShapesConfig cfg, Path out, Listener listener) throws IOException {
        return new ShapesGenerator(cfg, out).run(listener);
    }

    /** The scene of one image, as {@link #generate} draws it. */
    public static Scene scene(ShapesConfig cfg, Split split, int index) {
        return new SceneSampler(cfg).sample(Rng.of(cfg.seed(), split.stream, index));
    }

    /** The image of one item as {@link #generate} writes it: its scene rendered with the configuration's settings. */
    public static java.awt.image.BufferedImage image(ShapesConfig cfg, Split split, int index) {
        return SceneRenderer.render(scene(cfg, split, index), cfg.antialias());
    }

    /** The number of images of a split. */
    public static int count(ShapesConfig cfg, Split split) {
        switch (split) {
            case TRAIN:
                return cfg.train();
            case VAL:
                return cfg.val();
            case TEST:
                return cfg.test();
            default:
                return cfg.web();
        }
    }

    /** The path of an image relative to the output folder, e.g. {@code images/train/train_000042.png}. */
    public static String imagePath(ShapesConfig cfg, Split split, int index) {
        int width =
                Math.max(6, Integer.toString(Math.max(0, count(cfg, split) - 1)).length());
        return "images/" + split.id() + "/" + split.id() + "_" + String.format("%0" + width + "d", index) + ".png";
    }

    /**
     * Removes what a run writes from a folder: the known files and the PNGs of the split folders (folders left empty
     * are removed); anything else is left alone.
     */
    public static void clean(Path out) throws IOException {
        for (String f : FILES) {
            Files.deleteIfExists(out.resolve(f));
        }
        for (Split sp : Split.values()) {
            Path dir = out.resolve("images").resolve(sp.id());
            if (Files.isDirectory(dir)) {
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, sp.id() + "_*.png")) {
                    for (Path p : ds) {
                        Files.delete(p);
                    }
                }
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                    if (!ds.iterator().hasNext()) {
                        Files.delete(dir);
                    }
                }
            }
        }
        Path images = out.resolve("images");
        if (Files.isDirectory(images)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(images)) {
                if (!ds.iterator().hasNext()) {
                    Files.delete(images);
                }
            }
        }
    }

    private Summary run(Listener listener) throws IOException {
        Files.createDirectories(out);
        renderAll(listener);
        writeCaptions();
        writeWeb();
        writeVqa();
        writeList("answer_list.json", new ArrayList<>(ShapesVocabulary.answers(cfg.maxObjects())));
        writeNlvr("nlvr_train.json", Split.TRAIN, cfg.nlvrTrain(), NLVR_TRAIN_STREAM);
        writeNlvr("nlvr_test.json", Split.TEST, cfg.nlvrTest(), NLVR_TEST_STREAM);
        writeScenes();
        Files.write(
                out.resolve("vocab.txt"),
                (String.join("\n", ShapesVocabulary.vocabLines()) + "\n").getBytes(StandardCharsets.UTF_8));
        int images = cfg.train() + cfg.val() + cfg.test() + cfg.web();
        writeManifest(images);
        Files.write(out.resolve("README.md"), readme(images).getBytes(StandardCharsets.UTF_8));
        return new Summary(images, Map.copyOf(records), Map.copyOf(noiseCounts));
    }

    // ---------------------------------------------------------------- images

    private void renderAll(Listener listener) throws IOException {
        List<int[]> jobs = new ArrayList<>();
        for (Split sp : Split.values()) {
            int n = count(cfg, sp);
            scenes.put(sp, new Scene[n]);
            if (n > 0) {
                Files.createDirectories(out.resolve("images").resolve(sp.id()));
            }
            for (int i = 0; i < n; i++) {
                jobs.add(new int[] {sp.ordinal(), i});
            }
        }
        int total = jobs.size();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        AtomicBoolean failed = new AtomicBoolean();
        Runnable worker = () -> {
            int j;
            while (!failed.get() && (j = next.getAndIncrement()) < total) {
                Split sp = Split.values()[jobs.get(j)[0]];
                int i = jobs.get(j)[1];
                try {
                    Scene s = sampler.sample(Rng.of(cfg.seed(), sp.stream, i));
                    scenes.get(sp)[i] = s;
                    byte[] png = SceneRenderer.png(SceneRenderer.render(s, cfg.antialias()));
                    Files.write(out.resolve(imagePath(cfg, sp, i)), png);
                } catch (IOException e) {
                    failed.set(true);
                    throw new UncheckedIOException(e);
                } catch (RuntimeException e) {
                    failed.set(true);
                    throw e;
                }
                if (listener != null) {
                    listener.imageWritten(done.incrementAndGet(), total);
                }
            }
        };
        int threads = Math.max(1, Math.min(cfg.threads(), total));
        if (threads == 1) {
            try {
                worker.run();
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "shapes-render");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(worker));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof UncheckedIOException u) {
                        throw u.getCause();
                    }
                    if (c instanceof RuntimeException r) {
                        throw r;
                    }
                    throw new IOException(c);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ---------------------------------------------------------------- captions

    private void writeCaptions() throws IOException {
        List<Object> pretrain = new ArrayList<>();
        List<Object> train = new ArrayList<>();
        Scene[] tr = scenes.get(Split.TRAIN);
        for (int i = 0; i < tr.length; i++) {
            String image = imagePath(cfg, Split.TRAIN, i);
            String id = image.substring(image.lastIndexOf('/') + 1, image.length() - 4);
            Rng rng = Rng.of(cfg.seed(), CAPTION_STREAM + Split.TRAIN.stream, i);
            for (Caption c : captions.references(tr[i], rng, cfg.captionsPerImage())) {
                String text = checked(c.text());
                pretrain.add(map("image", image, "caption", text));
                train.add(map("image", image, "caption", text, "image_id", id));
            }
        }
        writeList("pretrain_human.json", pretrain);
        writeList("caption_train.json", train);
        for (Split sp : List.of(Split.VAL, Split.TEST)) {
            List<Object> eval = new ArrayList<>();
            List<Object> annotations = new ArrayList<>();
            List<Object> images = new ArrayList<>();
            Scene[] ss = scenes.get(sp);
            for (int i = 0; i < ss.length; i++) {
                String image = imagePath(cfg, sp, i);
                List<String> refs = new ArrayList<>();
                for (Caption c : captions.references(ss[i], Rng.of(cfg.seed(), CAPTION_STREAM + sp.stream, i), 5)) {
                    refs.add(checked(c.text()));
                }
                eval.add(map("image", image, "caption", refs));
                images.add(map("id", i));
                for (String r : refs) {
                    annotations.add(map("image_id", i, "caption", r, "id", annotations.size()));
                }
            }
            writeList("caption_" + sp.id() + ".json", eval);
            Files.write(
                    out.resolve("caption_" + sp.id() + "_gt.json"),
                    json.writeValueAsBytes(map("annotations", annotations, "images", images)));
            records.put("caption_" + sp.id() + "_gt.json", annotations.size());
        }
    }

    // ---------------------------------------------------------------- web

    private void writeWeb() throws IOException {
        Scene[] web = scenes.get(Split.WEB);
        int n = web.length;
        int noisy = (int) Math.round(cfg.noise() * n);
        int[] per = {noisy / 3, noisy / 3, noisy / 3};
        for (int r = 0; r < noisy % 3; r++) {
            per[r]++;
        }
        WebNoise.Label[] labels = new WebNoise.Label[n];
        int k = 0;
        for (int t = 0; t < 3; t++) {
            for (int c = 0; c < per[t]; c++) {
                labels[k++] = WebNoise.Label.values()[t + 1];
            }
        }
        while (k < n) {
            labels[k++] = WebNoise.Label.CLEAN;
        }
        Rng assign = Rng.of(cfg.seed(), WEB_ASSIGN_STREAM, 0);
        for (int i = n - 1; i > 0; i--) {
            int j = assign.nextInt(i + 1);
            WebNoise.Label t = labels[i];
            labels[i] = labels[j];
            labels[j] = t;
        }
        for (WebNoise.Label l : WebNoise.Label.values()) {
            noiseCounts.put(l.id(), 0);
        }
        List<Object> pairs = new ArrayList<>();
        List<Object> truth = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Rng rng = Rng.of(cfg.seed(), WEB_STREAM, i);
            String image = imagePath(cfg, Split.WEB, i);
            Caption clean = captions.generate(web[i], rng);
            Map<String, Object> label = map("image", image);
            String text;
            switch (labels[i]) {
                case CLEAN:
                    text = clean.text();
                    break;
                case MISMATCHED: {
                    text = null;
                    for (int tries = 0; text == null; tries++) {
                        Scene other;
                        String source;
                        if (n >= 2 && tries < 50) {
                            int j = (i + 1 + rng.nextInt(n - 1)) % n;
                            other = web[j];
                            source = imagePath(cfg, Split.WEB, j);
                        } else {
                            other = sampler.sample(rng);
                            source = null;
                        }
                        Caption c = captions.generate(other, rng);
                        if (c.contradicts(web[i])) {
                            text = c.text();
                            if (source != null) {
                                label.put("source", source);
                            }
                        }
                    }
                    break;
                }
                case FLIPPED: {
                    WebNoise.Flip f = null;
                    Caption base = clean;
                    for (int tries = 0; f == null; tries++) {
                        base = tries == 0 ? clean : captions.generate(web[i], rng);
                        f = WebNoise.flip(base, web[i], rng);
                    }
                    text = f.caption().text();
                    label.put("original", base.text());
                    label.put("attribute", f.attribute());
                    break;
                }
                default:
                    text = WebNoise.junk(rng);
                    break;
            }
            ShapesVocabulary.check(text, labels[i] == WebNoise.Label.JUNK);
            noiseCounts.merge(labels[i].id(), 1, Integer::sum);
            pairs.add(map("image", image, "caption", text));
            Map<String, Object> row = map("image", image, "caption", text, "label", labels[i].id());
            label.remove("image");
            row.putAll(label);
            truth.add(row);
        }
        writeList("web.json", pairs);
        writeList("web_noise_labels.json", truth);
    }

    // ---------------------------------------------------------------- VQA and NLVR

    private void writeVqa() throws IOException {
        for (Split sp : List.of(Split.TRAIN, Split.VAL, Split.TEST)) {
            List<Object> rows = new ArrayList<>();
            Scene[] ss = scenes.get(sp);
            for (int i = 0; i < ss.length; i++) {
                String image = imagePath(cfg, sp, i);
                Rng rng = Rng.of(cfg.seed(), VQA_STREAM + sp.stream, i);
                for (Question q : questions.generate(ss[i], rng, cfg.questionsPerImage())) {
                    checked(q.text());
                    q.annotators().forEach(this::checked);
                    Map<String, Object> row = map(
                            "question_id",
                            rows.size(),
                            "question",
                            q.text(),
                            "answer",
                            q.annotators(),
                            "image",
                            image,
                            "dataset",
                            "vqa");
                    row.put("question_type", q.type().id());
                    rows.add(row);
                }
            }
            writeList("vqa_" + sp.id() + ".json", rows);
        }
    }

    private void writeNlvr(String name, Split sp, int count, int stream) throws IOException {
        Scene[] ss = scenes.get(sp);
        List<Object> rows = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Rng rng = Rng.of(cfg.seed(), stream, i);
            boolean target = i % 2 == 0;
            for (int tries = 0; ; tries++) {
                int a = rng.nextInt(ss.length);
                int b = (a + 1 + rng.nextInt(ss.length - 1)) % ss.length;
                NlvrGenerator.Statement st = nlvr.generate(ss[a], ss[b], rng);
                if (st != null && (st.label() == target || tries >= 10_000)) {
                    rows.add(map(
                            "images",
                            List.of(imagePath(cfg, sp, a), imagePath(cfg, sp, b)),
                            "sentence",
                            checked(st.text()),
                            "label",
                            st.label() ? "True" : "False"));
                    break;
                }
            }
        }
        writeList(name, rows);
    }

    // ---------------------------------------------------------------- descriptions

    private void writeScenes() throws IOException {
        List<Object> rows = new ArrayList<>();
        for (Split sp : Split.values()) {
            Scene[] ss = scenes.get(sp);
            for (int i = 0; i < ss.length; i++) {
                rows.add(describe(ss[i], imagePath(cfg, sp, i), sp));
            }
        }
        writeList("scenes.json", rows);
    }

    /** A scene as written to {@code scenes.json}. */
    static Map<String, Object> describe(Scene s, String image, Split sp) {
        Background b = s.background();
        Map<String, Object> bg = map("kind", b.kind().id(), "color", b.color().id());
        if (b.color2() != null) {
            bg.put("color2", b.color2().id());
        }
        if (b.kind() != Background.Kind.SOLID) {
            bg.put("angle", b.angle());
        }
        if (b.kind() == Background.Kind.STRIPES) {
            bg.put("period", b.period());
            bg.put("shade", b.shade());
        }
        List<Object> objs = new ArrayList<>();
        for (SceneObject o : s.objects()) {
            objs.add(map(
                    "shape",
                    o.shape().id(),
                    "color",
                    o.color().id(),
                    "size",
                    o.size().id(),
                    "x",
                    o.x(),
                    "y",
                    o.y(),
                    "radius",
                    o.radius(),
                    "rotation",
                    o.rotation(),
                    "region",
                    o.region(s.size()).id(),
                    "rgb",
                    String.format("#%06x", o.rgb()),
                    "bbox",
                    List.of(o.x0(), o.y0(), o.x1(), o.y1())));
        }
        return map(
                "image",
                image,
                "split",
                sp.id(),
                "size",
                s.size(),
                "background",
                bg,
                "noise",
                s.noise(),
                "objects",
                objs);
    }

    private void writeManifest(int images) throws IOException {
        Map<String, Object> config = map(
                "seed",
                cfg.seed(),
                "size",
                cfg.size(),
                "train",
                cfg.train(),
                "val",
                cfg.val(),
                "test",
                cfg.test(),
                "web",
                cfg.web(),
                "noise",
                cfg.noise(),
                "captions_per_image",
                cfg.captionsPerImage(),
                "questions_per_image",
                cfg.questionsPerImage(),
                "nlvr_train",
                cfg.nlvrTrain(),
                "nlvr_test",
                cfg.nlvrTest(),
                "max_objects",
                cfg.maxObjects(),
                "max_occlusion",
                cfg.maxOcclusion());
        if (!cfg.defaultRendering()) { // written only for a variant, so that default runs keep their bytes
            config.put("antialias", cfg.antialias());
            config.put("jitter", cfg.jitter());
            config.put("backgrounds", cfg.backgrounds().id());
        }
        Map<String, Object> m = map(
                "generator",
                "blip4j shapes world",
                "version",
                VERSION,
                "config",
                config,
                "images",
                images,
                "records",
                new LinkedHashMap<>(records),
                "web_noise",
                new LinkedHashMap<>(noiseCounts),
                "vocab_size",
                ShapesVocabulary.vocabLines().size());
        Files.write(
                out.resolve("manifest.json"),
                json.writerWithDefaultPrettyPrinter().writeValueAsBytes(m));
    }

    private String readme(int images) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Shapes world\n\n");
        sb.append("A synthetic image-text dataset generated by blip4j (`blip4j data shapes`), generator version ")
                .append(VERSION)
                .append(", seed ")
                .append(cfg.seed())
                .append(", ")
                .append(cfg.size())
                .append("x")
                .append(cfg.size())
                .append(" px. Files are byte-for-byte reproducible from these settings ")
                .append("(see manifest.json).\n\n");
        sb.append("Each image shows 1-")
                .append(cfg.maxObjects())
                .append(" objects (9 shapes, 9 colours, small/large) ")
                .append(
                        cfg.backgrounds() == ShapesConfig.Backgrounds.SOLID
                                ? "on a solid background"
                                : "on a solid, gradient or striped background")
                .append(" with pixel noise. Annotation files use BLIP's ")
                .append("JSON formats; image paths are relative to this folder.\n\n");
        if (!cfg.defaultRendering()) {
            sb.append("Rendering variant: ")
                    .append(cfg.antialias() ? "antialiased" : "no antialiasing")
                    .append(", position jitter ")
                    .append(cfg.jitter())
                    .append(", ")
                    .append(cfg.backgrounds().id())
                    .append(" backgrounds.\n\n");
        }
        sb.append("| file | records | format |\n|---|---|---|\n");
        row(sb, "images/{train,val,test,web}/*.png", images, "PNG images");
        row(sb, "pretrain_human.json", "{image, caption}: human-like captions of the training images");
        row(sb, "web.json", "{image, caption}: noisy alt-text-like captions of the web images");
        row(
                sb,
                "web_noise_labels.json",
                "{image, caption, label: clean|mismatched|flipped|junk, ...}: ground truth "
                        + "for web.json; never read it in training");
        row(sb, "caption_train.json", "{image, caption, image_id} (Karpathy train)");
        row(sb, "caption_val.json", "{image, caption: [5]} (Karpathy val; retrieval too)");
        row(sb, "caption_test.json", "{image, caption: [5]} (Karpathy test; retrieval too)");
        row(
                sb,
                "caption_val_gt.json",
                "COCO format {annotations: [{image_id, caption, id}], images: [{id}]}; "
                        + "image_id = the digits after the last _ of the file name");
        row(sb, "caption_test_gt.json", "COCO format, as above");
        row(
                sb,
                "vqa_train.json",
                "{question_id, question, answer: [10 annotator answers], image, dataset, " + "question_type}");
        row(sb, "vqa_val.json", "as vqa_train");
        row(sb, "vqa_test.json", "as vqa_train (answers included for local scoring)");
        row(sb, "answer_list.json", "candidate answers for VQA ranking");
        row(sb, "nlvr_train.json", "{images: [left, right], sentence, label: True/False} over training images");
        row(sb, "nlvr_test.json", "as nlvr_train, over test images");
        row(sb, "scenes.json", "the structured description of every image (objects, background, noise)");
        row(sb, "vocab.txt", ShapesVocabulary.vocabLines().size(), "BERT WordPiece vocabulary covering every text");
        sb.append("\nWeb noise: ");
        List<String> parts = new ArrayList<>();
        noiseCounts.forEach((k, v) -> parts.add(v + " " + k));
        sb.append(String.join(", ", parts))
                .append(" (target noisy fraction ")
                .append(cfg.noise())
                .append(").\n");
        sb.append("\nmismatched = the caption of another image, false for this one; flipped = a true caption with one ")
                .append(
                        "colour, shape or count changed so that it is false (original in web_noise_labels.json); junk = file ")
                .append("names and advert text.\n");
        return sb.toString();
    }

    private void row(StringBuilder sb, String file, String format) {
        row(sb, file, records.getOrDefault(file, 0), format);
    }

    private static void row(StringBuilder sb, String file, int n, String format) {
        sb.append("| ")
                .append(file)
                .append(" | ")
                .append(n)
                .append(" | ")
                .append(format)
                .append(" |\n");
    }

    // ---------------------------------------------------------------- helpers

    private String checked(String text) {
        ShapesVocabulary.check(text, false);
        return text;
    }

    /** Writes a JSON array with one record per line. */
    private void writeList(String name, List<Object> rows) throws IOException {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < rows.size(); i++) {
            sb.append(i == 0 ? "\n" : ",\n").append(write(rows.get(i)));
        }
        sb.append("\n]\n");
        Files.write(out.resolve(name), sb.toString().getBytes(StandardCharsets.UTF_8));
        records.put(name, rows.size());
    }

    private String write(Object o) {
        try {
            return json.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}

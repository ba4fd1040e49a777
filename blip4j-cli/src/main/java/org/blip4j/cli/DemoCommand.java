package org.blip4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import org.blip4j.Blip;
import org.blip4j.hub.BundledModels;
import org.blip4j.hub.ModelSource;
import org.blip4j.image.RgbImage;
import org.blip4j.shapes.CaptionParser;
import org.blip4j.shapes.Scene;
import org.blip4j.shapes.SceneFile;
import org.blip4j.shapes.ShapesConfig;
import org.blip4j.shapes.ShapesGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code blip4j demo}: BLIP end to end on the embedded {@code shapes} model — captions, answers, text→image search and
 * an ITM check on scenes drawn fresh for each run — with every output checked against the scene's truth, printed and
 * written to an HTML report together with the model's measured test-split figures.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Show BLIP working end to end on the embedded 'shapes' model: draw new scenes (a new random seed "
                    + "each run), caption them, answer questions, search images by text, check image-text matches, and "
                    + "mark each output against what the scene really shows; print the results and write an HTML "
                    + "report with the images inline and the model's test-split figures.",
            "Captions and search queries are judged by the shapes world's parser (docs/shapes.md, \"Measuring truth\")."
        },
        footer = {"", "Examples:", "  blip4j demo", "  blip4j demo --seed 7 --images 8 --out /tmp/report.html"})
final class DemoCommand implements Callable<Integer> {
    /** The eval files of a model folder, as {@code bin/train-shapes} writes them, and the commands it runs. */
    static final List<String[]> FIGURES = List.of(
            new String[] {
                "caption",
                "eval_caption.json",
                "blip4j eval caption -m models/shapes/caption "
                        + "--data data/shapes/caption_test.json --images data/shapes --json"
            },
            new String[] {
                "retrieval",
                "eval_retrieval.json",
                "blip4j eval retrieval -m models/shapes/retrieval --captioner models/shapes/caption "
                        + "--data data/shapes/caption_test.json --images data/shapes -k 64 --json"
            },
            new String[] {
                "vqa",
                "eval_vqa.json",
                "blip4j eval vqa -m models/shapes/vqa --data data/shapes/vqa_test.json "
                        + "--images data/shapes --answers data/shapes/answer_list.json --json"
            });

    @Option(
            names = "--seed",
            paramLabel = "N",
            description = "Scene seed, to reproduce a run (default: a new random "
                    + "seed each run, printed; the model was trained on seed 1).")
    Long seed;

    @Option(names = "--images", defaultValue = "6", description = "Scenes to generate (default: ${DEFAULT-VALUE}).")
    int images;

    @Option(
            names = "--out",
            defaultValue = "demo-report.html",
            description = "HTML report (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(
            names = "--model",
            defaultValue = "shapes",
            paramLabel = "DIR",
            description = "A folder with caption/, retrieval/ and vqa/ model folders (and optionally eval_*.json) "
                    + "(default: the embedded shapes model).")
    String model;

    @Option(
            names = {"-v", "--verbose"},
            description = "Print stack traces on errors.")
    boolean verbose;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (images < 2 || images > 64) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "--images must be 2..64, got " + images);
        }
        long s = seed != null ? seed : ThreadLocalRandom.current().nextLong(1_000_000_000L);
        PrintWriter o = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        Path work = Files.createTempDirectory("blip4j-demo");
        try {
            ShapesConfig cfg = ShapesConfig.defaults(s)
                    .withNlvr(0, 0)
                    .withSizes(0, 0, images, 0)
                    .withPerImage(5, 2)
                    .withThreads(Math.max(1, Runtime.getRuntime().availableProcessors()));
            ShapesGenerator.generate(cfg, work, (done, total) -> {});
            ObjectMapper json = new ObjectMapper();
            JsonNode caps = json.readTree(work.resolve("caption_test.json").toFile());
            JsonNode qs = json.readTree(work.resolve("vqa_test.json").toFile());
            Map<String, Scene> world = SceneFile.read(work.resolve(SceneFile.NAME));
            List<String> answerList = new ArrayList<>();
            json.readTree(work.resolve("answer_list.json").toFile()).forEach(a -> answerList.add(a.asText()));
            o.printf(
                    Locale.ROOT,
                    "blip4j demo: %d scenes drawn just now, seed %d (reproduce: blip4j demo --seed %d%s)%n%n",
                    images,
                    s,
                    s,
                    images == 6 ? "" : " --images " + images);

            try (Blip captioner = Blip.load(part("caption"));
                    Blip retrieval = Blip.load(part("retrieval"));
                    Blip vqa = Blip.load(part("vqa"))) {
                List<Path> files = new ArrayList<>();
                List<RgbImage> imgs = new ArrayList<>();
                List<Scene> scenes = new ArrayList<>();
                List<String> truth = new ArrayList<>();
                for (JsonNode c : caps) {
                    String image = c.get("image").asText();
                    Path f = work.resolve(image);
                    files.add(f);
                    imgs.add(captioner.readImage(f));
                    scenes.add(world.get(image));
                    truth.add(c.get("caption").get(0).asText());
                }
                Html html = new Html(s);

                o.println("== Captions (beam search), checked against the scene ==");
                List<String> captions = captioner.caption(imgs, captioner.captionDefaults());
                List<String> verdicts = new ArrayList<>();
                int trueCaptions = 0;
                for (int i = 0; i < imgs.size(); i++) {
                    CaptionParser.Result r = CaptionParser.read(captions.get(i));
                    boolean holds = r.ok() && r.caption().holds(scenes.get(i));
                    trueCaptions += holds ? 1 : 0;
                    String v =
                            holds ? "✓ true" : r.ok() ? "✗ false" : "✗ not the world's language (" + r.problem() + ")";
                    verdicts.add(v);
                    o.printf(
                            Locale.ROOT,
                            "%-16s %-55s %s%n%-16s   (a true reference: %s)%n",
                            name(files.get(i)),
                            captions.get(i),
                            v,
                            "",
                            truth.get(i));
                }
                o.printf(Locale.ROOT, "%d of %d captions true of their scene%n", trueCaptions, imgs.size());

                o.println();
                o.println("== Visual question answering (answers ranked from the answer list) ==");
                Map<String, List<String[]>> qa = new HashMap<>();
                int right = 0;
                int total = 0;
                for (JsonNode q : qs) {
                    String image = q.get("image").asText();
                    int idx = indexOf(caps, image);
                    String question = q.get("question").asText();
                    String answer = vqa.answerFromList(imgs.get(idx), question, answerList, answerList.size());
                    String expected = majority(q.get("answer"));
                    boolean ok = answer.equals(expected);
                    right += ok ? 1 : 0;
                    total++;
                    qa.computeIfAbsent(image, k -> new ArrayList<>()).add(new String[] {question, answer, expected});
                    o.printf(
                            Locale.ROOT,
                            "%-16s %-45s %-10s %s%n",
                            name(files.get(idx)),
                            question,
                            answer,
                            ok ? "✓" : "✗ (truth: " + expected + ")");
                }
                o.printf(Locale.ROOT, "%d of %d answers right%n", right, total);

                o.println();
                o.println("== Text → image search (re-ranked by the captioner's likelihood of the query), results "
                        + "checked against the query ==");
                int topTrue = 0;
                int queries = 0;
                for (int qi : new int[] {0, imgs.size() / 2}) {
                    String query = caps.get(qi).get("caption").get(1).asText();
                    List<Integer> top = search(captioner, imgs, query, Math.min(3, imgs.size()));
                    List<Boolean> hits = new ArrayList<>();
                    List<String> shown = new ArrayList<>();
                    for (int t : top) {
                        boolean h = CaptionParser.holds(query, scenes.get(t));
                        hits.add(h);
                        shown.add(name(files.get(t)) + (h ? " ✓" : " ✗"));
                    }
                    topTrue += hits.get(0) ? 1 : 0;
                    queries++;
                    o.printf(
                            Locale.ROOT,
                            "\"%s\" → %s   (written for %s)%n",
                            query,
                            String.join(", ", shown),
                            name(files.get(qi)));
                    html.search(
                            query,
                            top.stream().map(imgs::get).toList(),
                            top.stream().map(t -> name(files.get(t))).toList(),
                            hits,
                            name(files.get(qi)));
                }
                o.printf(
                        Locale.ROOT,
                        "the top result satisfies the query for %d of %d queries (✓: the text holds for "
                                + "that image)%n",
                        topTrue,
                        queries);

                o.println();
                o.println("== Image-text matching (ITM p(match)), checked against the scene ==");
                String own = truth.get(0);
                String other = truth.get(1);
                // [ENC] first: the token this model's ITM was trained with (BLIP's ITM training and retrieval
                // evaluation; BLIP_ITM's [CLS] suits the released checkpoints, not a model trained here)
                double[] p = retrieval.itm(imgs.get(0), List.of(own, other), Blip.MatchToken.ENC);
                boolean[] holds = {CaptionParser.holds(own, scenes.get(0)), CaptionParser.holds(other, scenes.get(0))};
                String[] texts = {own, other};
                for (int k = 0; k < 2; k++) {
                    o.printf(
                            Locale.ROOT,
                            "%-16s \"%s\" %.3f   %s%n",
                            k == 0 ? name(files.get(0)) : "",
                            texts[k],
                            p[k],
                            itmVerdict(p[k], holds[k]) + (k == 1 ? " (a caption of " + name(files.get(1)) + ")" : ""));
                }

                for (int i = 0; i < imgs.size(); i++) {
                    String image = caps.get(i).get("image").asText();
                    html.image(
                            name(files.get(i)),
                            Files.readAllBytes(files.get(i)),
                            captions.get(i),
                            verdicts.get(i),
                            truth.get(i),
                            qa.getOrDefault(image, List.of()));
                }
                html.itm(name(files.get(0)), texts, p, holds);
                List<String[]> figures = figures();
                o.println();
                o.println("== This model on the test split (seed 1, 1,000 images), as measured ==");
                for (String[] f : figures) {
                    o.printf(Locale.ROOT, "%-10s %s%n%-10s   measured by: %s%n", f[0], f[1], "", f[2]);
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                html.figures(figures);
                html.footer(trueCaptions, imgs.size(), right, total, topTrue, queries, seconds);
                Files.writeString(out, html.toString());
                o.println();
                o.printf(Locale.ROOT, "report: %s (%.1f s)%n", out.toAbsolutePath(), seconds);
            }
            return 0;
        } finally {
            deleteTree(work);
        }
    }

    /** ✓ when the model's decision (p &gt; 0.5) agrees with the world. */
    static String itmVerdict(double p, boolean holds) {
        boolean match = p > 0.5;
        return (match == holds ? "✓ " : "✗ ") + (holds ? "true" : "false") + " of the image, model says "
                + (match ? "match" : "no match");
    }

    /** The model folder of one part: the embedded model's, or {@code DIR/part} of a user folder. */
    private Path part(String p) throws IOException {
        if (embedded()) {
            return BundledModels.resolve(BundledModels.SHAPES + "/" + p);
        }
        Path dir = Path.of(model).resolve(p);
        if (!Files.isDirectory(dir)) {
            throw new java.io.FileNotFoundException(
                    dir + ": model folder not found (--model needs caption/, retrieval/ " + "and vqa/ inside)");
        }
        return ModelSource.resolve(dir.toString());
    }

    private boolean embedded() {
        return model.equalsIgnoreCase(BundledModels.SHAPES) && !Files.exists(Path.of(model));
    }

    /**
     * The model's test-split figures, one {part, figures, command} per eval file found (the embedded model's shipped
     * {@code models/shapes/eval_*.json}, or those in the --model folder).
     */
    List<String[]> figures() {
        List<String[]> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String[] f : FIGURES) {
            JsonNode n = null;
            try (InputStream in = evalFile(f[1])) {
                if (in != null) {
                    n = json.readTree(in);
                }
            } catch (IOException e) {
                n = null;
            }
            if (n == null || !n.isObject()) {
                out.add(new String[] {f[0], "not measured (no readable " + f[1] + " with the model)", f[2]});
                continue;
            }
            String command = n.hasNonNull("command") ? n.get("command").asText() : f[2];
            out.add(new String[] {f[0], describe(f[0], n), command});
        }
        return out;
    }

    private InputStream evalFile(String name) throws IOException {
        if (embedded()) {
            ClassLoader cl = java.util.Optional.ofNullable(
                            Thread.currentThread().getContextClassLoader())
                    .orElse(DemoCommand.class.getClassLoader());
            return cl.getResourceAsStream("org/blip4j/models/" + BundledModels.SHAPES + "/" + name);
        }
        Path f = Path.of(model).resolve(name);
        return Files.isRegularFile(f) ? Files.newInputStream(f) : null;
    }

    /** One line of figures from an eval file; says which truth metrics it lacks. */
    static String describe(String part, JsonNode n) {
        Map<String, String> shown = new LinkedHashMap<>();
        String missing;
        switch (part) {
            case "caption" -> {
                put(shown, n, "CIDEr", "CIDEr", 100, "%.1f");
                put(shown, n, "Bleu_4", "BLEU-4", 100, "%.1f");
                put(shown, n, "truth_rate", "captions true", 100, "%.1f %%");
                put(shown, n, "shape_word_accuracy", "shape words right", 100, "%.1f %%");
                put(shown, n, "color_word_accuracy", "colour words right", 100, "%.1f %%");
                missing = n.has("truth_rate") ? null : "caption truth rate";
            }
            case "retrieval" -> {
                put(shown, n, "img_r1", "text→image R@1", 1, "%.1f %%");
                put(shown, n, "img_truth1", "text→image truth@1", 1, "%.1f %%");
                put(shown, n, "img_truth5", "truth@5", 1, "%.1f %%");
                put(shown, n, "txt_r1", "image→text R@1", 1, "%.1f %%");
                missing = n.has("img_truth1") ? null : "retrieval truth@1";
            }
            default -> {
                put(shown, n, "vqa_accuracy", "VQA accuracy", 1, "%.1f %%");
                n.fieldNames().forEachRemaining(k -> {
                    if (k.startsWith("vqa_accuracy_")) {
                        put(shown, n, k, k.substring("vqa_accuracy_".length()), 1, "%.1f %%");
                    }
                });
                missing = shown.size() > 1 ? null : "VQA accuracy per question type";
            }
        }
        List<String> parts = new ArrayList<>();
        shown.forEach((k, v) -> parts.add(k + " " + v));
        String line = parts.isEmpty() ? "no known figures in the file" : String.join(", ", parts);
        return missing == null
                ? line
                : line + " — " + missing + " not measured for this model (its eval file predates "
                        + "the truth metrics; the command below measures it now)";
    }

    private static void put(Map<String, String> m, JsonNode n, String key, String label, double scale, String fmt) {
        if (n.hasNonNull(key) && n.get(key).isNumber()) {
            m.put(label, String.format(Locale.ROOT, fmt, n.get(key).asDouble() * scale));
        }
    }

    /**
     * The k images the captioner finds most likely to be described by the text (its mean log-probability per token,
     * docs/retrieval.md): with a handful of images every one is an ITC candidate, so ITC picks nothing here.
     */
    private static List<Integer> search(Blip captioner, List<RgbImage> imgs, String text, int k) {
        double[] score = captioner.captionLogProb(imgs, text);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < imgs.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingDouble(i -> -score[i]));
        return order.subList(0, k);
    }

    private static int indexOf(JsonNode caps, String image) {
        for (int i = 0; i < caps.size(); i++) {
            if (caps.get(i).get("image").asText().equals(image)) {
                return i;
            }
        }
        throw new IllegalStateException("question about an unknown image " + image);
    }

    private static String majority(JsonNode answers) {
        Map<String, Integer> n = new HashMap<>();
        answers.forEach(a -> n.merge(a.asText(), 1, Integer::sum));
        return n.entrySet().stream()
                .max(Map.Entry.<String, Integer>comparingByValue()
                        .thenComparing(Map.Entry.comparingByKey(Comparator.reverseOrder())))
                .orElseThrow()
                .getKey();
    }

    private static String name(Path f) {
        return f.getFileName().toString();
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The report page; images are inlined as data URIs so the file stands alone. */
    private static final class Html {
        private final StringBuilder images = new StringBuilder();
        private final StringBuilder searches = new StringBuilder();
        private final StringBuilder itm = new StringBuilder();
        private final StringBuilder figures = new StringBuilder();
        private final StringBuilder foot = new StringBuilder();
        private final long seed;

        Html(long seed) {
            this.seed = seed;
        }

        void image(String name, byte[] png, String caption, String verdict, String reference, List<String[]> qa) {
            boolean ok = verdict.startsWith("✓");
            images.append("<div class=card><img src='")
                    .append(dataUri(png))
                    .append("' width=192 height=192><div><b>")
                    .append(esc(name))
                    .append("</b><p class=cap>")
                    .append(esc(caption))
                    .append(" <span class=")
                    .append(ok ? "ok" : "bad")
                    .append('>')
                    .append(esc(verdict))
                    .append("</span></p><p class=ref>a true ")
                    .append("reference: ")
                    .append(esc(reference))
                    .append("</p><table>");
            for (String[] q : qa) {
                boolean right = q[1].equals(q[2]);
                images.append("<tr><td>")
                        .append(esc(q[0]))
                        .append("</td><td class=")
                        .append(right ? "ok" : "bad")
                        .append('>')
                        .append(esc(q[1]))
                        .append(right ? " ✓" : " ✗ (truth: " + esc(q[2]) + ")")
                        .append("</td></tr>");
            }
            images.append("</table></div></div>\n");
        }

        void search(String query, List<RgbImage> hits, List<String> names, List<Boolean> holds, String target)
                throws IOException {
            searches.append("<p><b>“")
                    .append(esc(query))
                    .append("”</b> (written for ")
                    .append(esc(target))
                    .append(")</p><div class=row>");
            for (int i = 0; i < hits.size(); i++) {
                boolean h = holds.get(i);
                searches.append("<figure><img src='")
                        .append(dataUri(png(hits.get(i))))
                        .append("' width=128 height=128>")
                        .append("<figcaption>")
                        .append(i + 1)
                        .append(". ")
                        .append(esc(names.get(i)))
                        .append(" <span class=")
                        .append(h ? "ok>✓ holds" : "bad>✗ does not hold")
                        .append("</span></figcaption></figure>");
            }
            searches.append("</div>\n");
        }

        void itm(String image, String[] texts, double[] p, boolean[] holds) {
            itm.append("<table><tr><th>")
                    .append(esc(image))
                    .append("</th><th>p(match)</th><th>the world says</th></tr>");
            for (int k = 0; k < texts.length; k++) {
                String v = itmVerdict(p[k], holds[k]);
                itm.append(String.format(
                        Locale.ROOT,
                        "<tr><td>“%s”</td><td><b>%.3f</b></td><td class=%s>%s</td></tr>",
                        esc(texts[k]),
                        p[k],
                        v.startsWith("✓") ? "ok" : "bad",
                        esc(v)));
            }
            itm.append("</table>");
        }

        void figures(List<String[]> rows) {
            figures.append(
                    "<p>The shipped model's figures on the held-out test split of the shapes world (seed 1, 1,000 "
                            + "images, 5,000 captions, 3,000 questions; <code>blip4j data shapes --seed 1 --out "
                            + "data/shapes</code>), as <code>bin/train-shapes</code> measures them:</p><table>");
            for (String[] r : rows) {
                figures.append("<tr><td><b>")
                        .append(esc(r[0]))
                        .append("</b></td><td>")
                        .append(esc(r[1]))
                        .append("<br><code>")
                        .append(esc(r[2]))
                        .append("</code></td></tr>");
            }
            figures.append("</table>");
        }

        void footer(int trueCaptions, int captions, int right, int total, int topTrue, int queries, double seconds) {
            foot.append(String.format(
                    Locale.ROOT,
                    "<p class=ref>this run: %d of %d captions true, %d of %d answers right, "
                            + "top search result true for %d of %d queries · scene seed %d (<code>blip4j demo --seed "
                            + "%d</code>) · %.1f s · blip4j demo</p>",
                    trueCaptions,
                    captions,
                    right,
                    total,
                    topTrue,
                    queries,
                    seed,
                    seed,
                    seconds));
        }

        private static byte[] png(RgbImage img) throws IOException {
            java.awt.image.BufferedImage b = new java.awt.image.BufferedImage(
                    img.width(), img.height(), java.awt.image.BufferedImage.TYPE_INT_RGB);
            byte[] px = img.rgb();
            for (int y = 0; y < img.height(); y++) {
                for (int x = 0; x < img.width(); x++) {
                    int i = 3 * (y * img.width() + x);
                    b.setRGB(x, y, (px[i] & 255) << 16 | (px[i + 1] & 255) << 8 | (px[i + 2] & 255));
                }
            }
            var bytes = new java.io.ByteArrayOutputStream();
            javax.imageio.ImageIO.write(b, "png", bytes);
            return bytes.toByteArray();
        }

        private static String dataUri(byte[] png) {
            return "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
        }

        private static String esc(String s) {
            return s.replace("&", "&amp;")
                    .replace("<", "&lt;")
                    .replace(">", "&gt;")
                    .replace("'", "&#39;")
                    .replace("\"", "&quot;");
        }

        @Override
        public String toString() {
            return "<!doctype html><meta charset=utf-8><title>blip4j demo</title><style>body{font-family:sans-serif;"
                    + "max-width:1000px;margin:2em auto}.card{display:flex;gap:1em;margin:1em 0;border-bottom:1px "
                    + "solid #ddd;padding-bottom:1em}img{image-rendering:pixelated}.cap{font-size:1.2em}.ref{color:#666"
                    + "}.ok{color:#080}.bad{color:#b00}td,th{padding:2px "
                    + "8px;text-align:left}.row{display:flex;gap:1em}figure{margin:0}code{font-size:.85em}</style>"
                    + "<h1>blip4j demo</h1><p>BLIP (Li et al. 2022) running in Java on blip4j's embedded "
                    + "<code>shapes</code> model, on scenes drawn just now (seed " + seed + "). Every output is checked"
                    + " against the scene: ✓ means the world says it is true.</p><h2>Captions and answers</h2>" + images
                    + "<h2>Text → image search</h2>" + searches + "<h2>Image–text matching</h2>" + itm
                    + "<h2>Test-split figures</h2>" + figures + foot;
        }
    }
}

package org.blip4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.blip4j.Blip;
import org.blip4j.hub.BundledModels;
import org.blip4j.hub.ModelSource;
import org.blip4j.image.RgbImage;
import org.blip4j.shapes.ShapesConfig;
import org.blip4j.shapes.ShapesGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code blip4j demo}: BLIP end to end on the embedded {@code shapes} model — captions, answers, text→image search and
 * an ITM check on freshly generated scenes no model has seen, printed and written to an HTML report.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Show BLIP working end to end on the embedded 'shapes' model: generate unseen scenes, caption "
        + "them, answer questions, search images by text, check image-text matches; print the results and write "
        + "an HTML report with the images inline.",
    footer = {"", "Examples:", "  blip4j demo", "  blip4j demo --seed 7 --images 8 --out /tmp/report.html"})
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--seed", defaultValue = "2026", description = "Scene seed (the model was trained on seed 1; "
      + "default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--images", defaultValue = "6", description = "Scenes to generate (default: ${DEFAULT-VALUE}).")
  int images;

  @Option(names = "--out", defaultValue = "demo-report.html", description = "HTML report (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--model", defaultValue = "shapes", paramLabel = "DIR",
      description = "A folder with caption/, retrieval/ and vqa/ model folders (default: the embedded shapes model).")
  String model;

  @Option(names = {"-v", "--verbose"}, description = "Print stack traces on errors.")
  boolean verbose;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (images < 2 || images > 64) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--images must be 2..64, got " + images);
    }
    PrintWriter o = spec.commandLine().getOut();
    long t0 = System.nanoTime();
    Path work = Files.createTempDirectory("blip4j-demo");
    try {
      ShapesConfig cfg = ShapesConfig.defaults(seed).withNlvr(0, 0).withSizes(0, 0, images, 0)
          .withPerImage(5, 2).withThreads(Math.max(1, Runtime.getRuntime().availableProcessors()));
      ShapesGenerator.generate(cfg, work, (done, total) -> {});
      ObjectMapper json = new ObjectMapper();
      JsonNode caps = json.readTree(work.resolve("caption_test.json").toFile());
      JsonNode qs = json.readTree(work.resolve("vqa_test.json").toFile());
      List<String> answerList = new ArrayList<>();
      json.readTree(work.resolve("answer_list.json").toFile()).forEach(a -> answerList.add(a.asText()));

      try (Blip captioner = Blip.load(part("caption"));
          Blip retrieval = Blip.load(part("retrieval"));
          Blip vqa = Blip.load(part("vqa"))) {
        List<Path> files = new ArrayList<>();
        List<RgbImage> imgs = new ArrayList<>();
        List<String> truth = new ArrayList<>();
        for (JsonNode c : caps) {
          Path f = work.resolve(c.get("image").asText());
          files.add(f);
          imgs.add(captioner.readImage(f));
          truth.add(c.get("caption").get(0).asText());
        }
        Html html = new Html(seed);

        o.println("== Captions (beam search) ==");
        List<String> captions = captioner.caption(imgs, Blip.CaptionOptions.defaults());
        for (int i = 0; i < imgs.size(); i++) {
          o.printf(Locale.ROOT, "%-16s %s%n%-16s   (one human-style reference: %s)%n", name(files.get(i)),
              captions.get(i), "", truth.get(i));
        }

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
          o.printf(Locale.ROOT, "%-16s %-45s %-10s %s%n", name(files.get(idx)), question, answer,
              ok ? "✓" : "✗ (truth: " + expected + ")");
        }
        o.printf(Locale.ROOT, "%d of %d answers right%n", right, total);

        o.println();
        o.println("== Text → image search (ITC ranking, ITM re-rank) ==");
        float[][] emb = retrieval.imageEmbeddings(imgs);
        List<String[]> searches = new ArrayList<>();
        for (int qi : new int[] {0, imgs.size() / 2}) {
          String query = caps.get(qi).get("caption").get(1).asText();
          List<Integer> top = search(retrieval, imgs, emb, query, Math.min(3, imgs.size()));
          o.printf(Locale.ROOT, "\"%s\" → %s   (written for %s)%n", query,
              String.join(", ", top.stream().map(t -> name(files.get(t))).toList()), name(files.get(qi)));
          searches.add(new String[] {query, String.valueOf(qi), top.toString()});
          html.search(query, top.stream().map(t -> imgs.get(t)).toList(),
              top.stream().map(t -> name(files.get(t))).toList(), name(files.get(qi)));
        }

        o.println();
        o.println("== Image-text matching (ITM p(match)) ==");
        String own = truth.get(0);
        String other = truth.get(1);
        double[] p = retrieval.itm(imgs.get(0), List.of(own, other), Blip.MatchToken.CLS);
        o.printf(Locale.ROOT, "%-16s \"%s\" %.3f%n%-16s \"%s\" %.3f   (a caption of %s)%n", name(files.get(0)), own,
            p[0], "", other, p[1], name(files.get(1)));

        for (int i = 0; i < imgs.size(); i++) {
          String image = caps.get(i).get("caption") == null ? null : caps.get(i).get("image").asText();
          html.image(name(files.get(i)), Files.readAllBytes(files.get(i)), captions.get(i), truth.get(i),
              qa.getOrDefault(image, List.of()));
        }
        html.itm(name(files.get(0)), own, p[0], other, p[1]);
        double seconds = (System.nanoTime() - t0) / 1e9;
        html.footer(right, total, seconds);
        Files.writeString(out, html.toString());
        o.println();
        o.printf(Locale.ROOT, "report: %s (%.1f s)%n", out.toAbsolutePath(), seconds);
      }
      return 0;
    } finally {
      deleteTree(work);
    }
  }

  /** The model folder of one part: the embedded model's, or {@code DIR/part} of a user folder. */
  private Path part(String p) throws IOException {
    if (model.equalsIgnoreCase(BundledModels.SHAPES) && !Files.exists(Path.of(model))) {
      return BundledModels.resolve(BundledModels.SHAPES + "/" + p);
    }
    Path dir = Path.of(model).resolve(p);
    if (!Files.isDirectory(dir)) {
      throw new java.io.FileNotFoundException(dir + ": model folder not found (--model needs caption/, retrieval/ "
          + "and vqa/ inside)");
    }
    return ModelSource.resolve(dir.toString());
  }

  /** ITC top candidates re-ranked by ITM logit plus cosine, as {@code train_retrieval.py} scores them. */
  private static List<Integer> search(Blip b, List<RgbImage> imgs, float[][] emb, String text, int k) {
    float[] t = b.textEmbedding(text);
    double[] itc = new double[imgs.size()];
    for (int i = 0; i < imgs.size(); i++) {
      for (int d = 0; d < t.length; d++) {
        itc[i] += emb[i][d] * t[d];
      }
    }
    double[] logits = b.itmLogits(imgs, text, Blip.MatchToken.CLS);
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < imgs.size(); i++) {
      order.add(i);
    }
    order.sort(Comparator.comparingDouble(i -> -(logits[i] + itc[i])));
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
    return n.entrySet().stream().max(Map.Entry.<String, Integer>comparingByValue()
        .thenComparing(Map.Entry.comparingByKey(Comparator.reverseOrder()))).orElseThrow().getKey();
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
    private final StringBuilder foot = new StringBuilder();
    private final long seed;

    Html(long seed) {
      this.seed = seed;
    }

    void image(String name, byte[] png, String caption, String reference, List<String[]> qa) {
      images.append("<div class=card><img src='").append(dataUri(png)).append("' width=192 height=192><div><b>")
          .append(esc(name)).append("</b><p class=cap>").append(esc(caption)).append("</p><p class=ref>reference: ")
          .append(esc(reference)).append("</p><table>");
      for (String[] q : qa) {
        boolean ok = q[1].equals(q[2]);
        images.append("<tr><td>").append(esc(q[0])).append("</td><td class=").append(ok ? "ok" : "bad").append('>')
            .append(esc(q[1])).append(ok ? "" : " (truth: " + esc(q[2]) + ")").append("</td></tr>");
      }
      images.append("</table></div></div>\n");
    }

    void search(String query, List<RgbImage> hits, List<String> names, String target) throws IOException {
      searches.append("<p><b>“").append(esc(query)).append("”</b> (written for ").append(esc(target))
          .append(")</p><div class=row>");
      for (int i = 0; i < hits.size(); i++) {
        searches.append("<figure><img src='").append(dataUri(png(hits.get(i)))).append("' width=128 height=128>")
            .append("<figcaption>").append(i + 1).append(". ").append(esc(names.get(i))).append("</figcaption></figure>");
      }
      searches.append("</div>\n");
    }

    void itm(String image, String own, double pOwn, String other, double pOther) {
      itm.append(String.format(Locale.ROOT, "<p>%s: “%s” p(match) = <b>%.3f</b>; “%s” p(match) = <b>%.3f</b></p>",
          esc(image), esc(own), pOwn, esc(other), pOther));
    }

    void footer(int right, int total, double seconds) {
      foot.append(String.format(Locale.ROOT, "<p class=ref>%d of %d answers right · scene seed %d · %.1f s · "
          + "blip4j demo, embedded shapes model</p>", right, total, seed, seconds));
    }

    private static byte[] png(RgbImage img) throws IOException {
      java.awt.image.BufferedImage b = new java.awt.image.BufferedImage(img.width(), img.height(),
          java.awt.image.BufferedImage.TYPE_INT_RGB);
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
      return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;")
          .replace("\"", "&quot;");
    }

    @Override
    public String toString() {
      return "<!doctype html><meta charset=utf-8><title>blip4j demo</title><style>body{font-family:sans-serif;"
          + "max-width:1000px;margin:2em auto}.card{display:flex;gap:1em;margin:1em 0;border-bottom:1px solid #ddd;"
          + "padding-bottom:1em}img{image-rendering:pixelated}.cap{font-size:1.2em}.ref{color:#666}.ok{color:#080}"
          + ".bad{color:#b00}td{padding:2px 8px}.row{display:flex;gap:1em}figure{margin:0}</style>"
          + "<h1>blip4j demo</h1><p>BLIP (Li et al. 2022) running in Java on blip4j's embedded <code>shapes</code> "
          + "model, on scenes generated just now.</p><h2>Captions and answers</h2>" + images
          + "<h2>Text → image search</h2>" + searches + "<h2>Image–text matching</h2>" + itm + foot;
    }
  }
}

package org.blip4j.eval;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntConsumer;
import org.blip4j.Blip;
import org.blip4j.data.Annotations;
import org.blip4j.generate.GenerationConfig;
import org.blip4j.image.RgbImage;
import org.blip4j.shapes.Caption;
import org.blip4j.shapes.CaptionParser;
import org.blip4j.shapes.HardNegatives;
import org.blip4j.shapes.Scene;

/**
 * Runs a model over an evaluation split and scores it as the reference's evaluation code: {@code train_caption.py}
 * (generate, then COCO caption metrics), {@code train_retrieval.py evaluation} (ITC top-k re-ranked by ITM logit +
 * cosine, then {@code itm_eval}), {@code train_vqa.py} (answers scored with the VQA accuracy) and NLVR2 accuracy.
 */
public final class Evaluation {
    private Evaluation() {}

    /**
     * A captioning run: the generated captions and the references per image (annotation path, in file order), scored.
     */
    public record CaptionRun(
            Map<String, String> candidates, Map<String, List<String>> references, CaptionScores scores) {}

    /**
     * An image–text retrieval run: the images (annotation paths) and texts in file order, the score matrices BLIP
     * ranks by (ITC cosine everywhere, ITM logit + cosine for the re-ranked top k, -100 elsewhere) and {@code
     * itm_eval}.
     *
     * @param txt2img the image each text was written for
     */
    public record RetrievalRun(
            List<String> images,
            List<String> texts,
            int[] txt2img,
            double[][] i2t,
            double[][] t2i,
            Map<String, Double> metrics) {}

    /** Captions every image of a Karpathy eval file (5 references each) in batches and scores them. */
    public static CaptionScores captions(
            Blip blip, Path annFile, Path imageRoot, GenerationConfig gen, int batch, IntConsumer progress)
            throws IOException {
        return captionRun(blip, annFile, imageRoot, gen, batch, progress).scores();
    }

    /** As {@link #captions}, keeping the generated captions. */
    public static CaptionRun captionRun(
            Blip blip, Path annFile, Path imageRoot, GenerationConfig gen, int batch, IntConsumer progress)
            throws IOException {
        List<Annotations.KarpathyEval> items = Annotations.readKarpathyEval(annFile);
        Map<String, List<String>> refs = new LinkedHashMap<>();
        Map<String, String> cands = new LinkedHashMap<>();
        Blip.CaptionOptions opts = Blip.CaptionOptions.defaults().withGeneration(gen);
        for (int start = 0; start < items.size(); start += batch) {
            List<Annotations.KarpathyEval> chunk = items.subList(start, Math.min(items.size(), start + batch));
            List<RgbImage> imgs = new ArrayList<>();
            for (Annotations.KarpathyEval e : chunk) {
                imgs.add(blip.readImage(imageRoot.resolve(e.image())));
            }
            List<String> out = blip.caption(imgs, opts);
            for (int i = 0; i < chunk.size(); i++) {
                refs.put(chunk.get(i).image(), chunk.get(i).captions());
                cands.put(chunk.get(i).image(), out.get(i));
            }
            if (progress != null) {
                progress.accept(chunk.size());
            }
        }
        return new CaptionRun(cands, refs, CaptionEvaluator.evaluate(refs, cands));
    }

    /**
     * Image–text retrieval over a Karpathy eval file: ITC cosine for every pair, then each image's top-k texts and
     * each text's top-k images re-scored as ITM match logit ([ENC]) + cosine; everything else scores -100.
     */
    public static Map<String, Double> retrieval(Blip blip, Path annFile, Path imageRoot, int k, IntConsumer progress)
            throws IOException {
        return retrievalRun(blip, annFile, imageRoot, k, progress).metrics();
    }

    /** As {@link #retrieval}, keeping the texts and the score matrices. */
    public static RetrievalRun retrievalRun(Blip blip, Path annFile, Path imageRoot, int k, IntConsumer progress)
            throws IOException {
        return retrievalRun(blip, annFile, imageRoot, k, null, progress);
    }

    /**
     * As {@link #retrieval}; with a {@code captioner} (a captioning model) the top-k candidates of both directions are
     * re-ranked by the captioner's mean log-probability per token of the text ({@link Blip#captionLogProb(RgbImage,
     * List)}) instead of ITM, everything else scoring -∞. Each image is encoded once by the captioner for its own
     * candidate texts and once for every text that has it among its candidate images.
     */
    public static RetrievalRun retrievalRun(
            Blip blip, Path annFile, Path imageRoot, int k, Blip captioner, IntConsumer progress) throws IOException {
        return retrievalRun(blip, annFile, imageRoot, k, captioner, false, progress);
    }

    /**
     * As above; with {@code centerTexts}, image→text ranks each text by its ITC cosine minus the text's mean cosine
     * over all the evaluated images — candidates and the cosine added to ITM alike — so that texts close to every
     * image ("hubs") stop crowding each image's top k (a hubness correction in the spirit of CSLS, Conneau et al.
     * 2018; not BLIP's protocol). Text→image is unchanged: the correction is constant along a text's row.
     */
    public static RetrievalRun retrievalRun(
            Blip blip, Path annFile, Path imageRoot, int k, Blip captioner, boolean centerTexts, IntConsumer progress)
            throws IOException {
        List<Annotations.KarpathyEval> items = Annotations.readKarpathyEval(annFile);
        List<String> texts = new ArrayList<>();
        List<Integer> txt2img = new ArrayList<>();
        int[][] img2txt = new int[items.size()][];
        List<RgbImage> images = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            List<String> caps = items.get(i).captions();
            img2txt[i] = new int[caps.size()];
            for (int j = 0; j < caps.size(); j++) {
                img2txt[i][j] = texts.size();
                texts.add(caps.get(j));
                txt2img.add(i);
            }
            images.add(blip.readImage(imageRoot.resolve(items.get(i).image())));
        }
        float[][] ie = blip.imageEmbeddings(images);
        float[][] te = blip.textEmbeddings(texts);
        int ni = ie.length;
        int nt = te.length;
        double[][] sim = new double[ni][nt];
        for (int i = 0; i < ni; i++) {
            for (int t = 0; t < nt; t++) {
                double d = 0;
                for (int j = 0; j < ie[i].length; j++) {
                    d += ie[i][j] * te[t][j];
                }
                sim[i][t] = d;
            }
        }
        double[][] i2t = fill(ni, nt, captioner != null ? Double.NEGATIVE_INFINITY : -100);
        double[][] byImage = centerTexts ? centeredByText(sim) : sim; // image→text scores
        for (int i = 0; i < ni; i++) {
            int[] top = topK(byImage[i], k);
            List<String> cand = new ArrayList<>();
            for (int t : top) {
                cand.add(texts.get(t));
            }
            if (captioner != null) {
                double[] lp = captioner.captionLogProb(images.get(i), cand);
                for (int c = 0; c < top.length; c++) {
                    i2t[i][top[c]] = lp[c];
                }
            } else {
                double[] itm = blip.itmLogits(images.get(i), cand, Blip.MatchToken.ENC);
                for (int c = 0; c < top.length; c++) {
                    i2t[i][top[c]] = itm[c] + byImage[i][top[c]];
                }
            }
            if (progress != null) {
                progress.accept(1);
            }
        }
        double[][] t2i = captioner != null
                ? likelihoodTextToImage(captioner, images, texts, sim, k)
                : itmTextToImage(blip, images, texts, sim, k);
        int[] gt = txt2img.stream().mapToInt(Integer::intValue).toArray();
        List<String> paths = new ArrayList<>();
        for (Annotations.KarpathyEval e : items) {
            paths.add(e.image());
        }
        return new RetrievalRun(paths, texts, gt, i2t, t2i, RetrievalMetrics.itmEval(i2t, t2i, gt, img2txt));
    }

    /** {@code sim[i][t]} minus the mean of column t (each text's mean cosine over the images). */
    static double[][] centeredByText(double[][] sim) {
        int ni = sim.length;
        int nt = ni == 0 ? 0 : sim[0].length;
        double[] mean = new double[nt];
        for (double[] row : sim) {
            for (int t = 0; t < nt; t++) {
                mean[t] += row[t] / ni;
            }
        }
        double[][] out = new double[ni][nt];
        for (int i = 0; i < ni; i++) {
            for (int t = 0; t < nt; t++) {
                out[i][t] = sim[i][t] - mean[t];
            }
        }
        return out;
    }

    /** VQA accuracy of generated answers (or answers ranked from {@code answerList} when given) on a VQA file. */
    public static double vqa(
            Blip blip, Path annFile, Path imageRoot, List<String> answerList, int k, IntConsumer progress)
            throws IOException {
        List<Annotations.Vqa> items = Annotations.readVqa(annFile, true);
        List<List<String>> gts = new ArrayList<>();
        for (Annotations.Vqa q : items) {
            gts.add(q.answers());
        }
        return VqaAccuracy.overall(vqaAnswers(blip, items, imageRoot, answerList, k, progress), gts);
    }

    /**
     * ITM on minimal pairs, for worlds that know the truth (the shapes world): each caption of each image against a
     * minimal false variant of it ({@link HardNegatives}: one attribute flipped, two objects' colours, shapes or places
     * swapped, a position or the background named wrongly), scored by ITM ([ENC], as retrieval re-ranks). Returns,
     * in percent, how often the true caption scores higher: {@code itm_pairs} over all pairs and {@code
     * itm_pairs_<kind>} per kind of change. 50 % is chance: a model that matches words without binding them to
     * objects scores high on flips and near 50 on swaps.
     *
     * @param scenes the scene of each image of {@code annFile}, in its order
     * @param seed seeds the variants (caption t of the file uses seed + t)
     */
    public static Map<String, Double> itmPairs(Blip blip, Path annFile, Path imageRoot, List<Scene> scenes, long seed)
            throws IOException {
        List<Annotations.KarpathyEval> items = Annotations.readKarpathyEval(annFile);
        if (items.size() != scenes.size()) {
            throw new IllegalArgumentException(
                    annFile + " has " + items.size() + " images, " + scenes.size() + " scenes");
        }
        Map<String, int[]> byKind = new TreeMap<>(); // kind -> {pairs, true caption higher}
        int[] all = new int[2];
        int t = 0;
        for (int i = 0; i < items.size(); i++) {
            List<String> texts = new ArrayList<>();
            List<String> kinds = new ArrayList<>();
            for (String cap : items.get(i).captions()) {
                Caption c = CaptionParser.parse(cap).orElse(null);
                HardNegatives.Negative n = c == null ? null : HardNegatives.of(c, scenes.get(i), seed + t);
                t++;
                if (n != null) {
                    texts.add(cap);
                    texts.add(n.caption().text());
                    kinds.add(n.kind().name().toLowerCase(Locale.ROOT));
                }
            }
            if (texts.isEmpty()) {
                continue;
            }
            double[] p = blip.itm(blip.readImage(imageRoot.resolve(items.get(i).image())), texts, Blip.MatchToken.ENC);
            for (int k = 0; k < kinds.size(); k++) {
                int win = p[2 * k] > p[2 * k + 1] ? 1 : 0;
                int[] c = byKind.computeIfAbsent(kinds.get(k), x -> new int[2]);
                c[0]++;
                c[1] += win;
                all[0]++;
                all[1] += win;
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        if (all[0] > 0) {
            out.put("itm_pairs", 100.0 * all[1] / all[0]);
        }
        byKind.forEach((k, c) -> out.put("itm_pairs_" + k, 100.0 * c[1] / c[0]));
        return out;
    }

    /**
     * Whether the ViT's patch tokens know where they lie: the R² of a linear read-out of each patch token's row
     * ({@code vit_place_r2_row}) and column ({@code vit_place_r2_col}) of the token grid, fitted on the tokens of the
     * first 80 % of {@code images} and measured on the rest ({@link LinearReadout}). Cross-attention reads image tokens
     * through linear maps, so a model whose tokens score near 0 cannot pick them by place ("left of", "at the top").
     * Needs a model with an image-grounded text encoder (retrieval, ITM).
     */
    public static Map<String, Double> tokenPlaces(Blip blip, List<Path> images) throws IOException {
        List<double[]> x = new ArrayList<>();
        List<double[]> rc = new ArrayList<>();
        int fitImages = (int) Math.round(images.size() * 0.8);
        int fitRows = 0;
        for (int start = 0; start < images.size(); start += 32) {
            List<RgbImage> batch = new ArrayList<>();
            for (Path p : images.subList(start, Math.min(images.size(), start + 32))) {
                batch.add(blip.readImage(p));
            }
            float[][][] h = blip.imageStates(batch); // (B, 1+N, W), [CLS] first
            int grid = (int) Math.round(Math.sqrt(h[0].length - 1));
            for (int b = 0; b < h.length; b++) {
                for (int t = 1; t < h[b].length; t++) {
                    double[] f = new double[h[b][t].length];
                    for (int j = 0; j < f.length; j++) {
                        f[j] = h[b][t][j];
                    }
                    x.add(f);
                    rc.add(new double[] {(t - 1) / grid, (t - 1) % grid});
                }
                fitRows += start + b < fitImages ? h[b].length - 1 : 0;
            }
        }
        double[][] xs = x.toArray(new double[0][]);
        Map<String, Double> out = new LinkedHashMap<>();
        if (fitRows == 0 || fitRows == xs.length) {
            return out; // too few images to hold some out
        }
        for (int k = 0; k < 2; k++) {
            double[] y = new double[xs.length];
            for (int i = 0; i < y.length; i++) {
                y[i] = rc.get(i)[k];
            }
            out.put(k == 0 ? "vit_place_r2_row" : "vit_place_r2_col", LinearReadout.r2(xs, y, fitRows, 1e-3));
        }
        return out;
    }

    /** The model's answer to each question of {@code items} (generated, or ranked from {@code answerList}). */
    public static List<String> vqaAnswers(
            Blip blip,
            List<Annotations.Vqa> items,
            Path imageRoot,
            List<String> answerList,
            int k,
            IntConsumer progress)
            throws IOException {
        List<String> preds = new ArrayList<>();
        for (Annotations.Vqa q : items) {
            RgbImage img = blip.readImage(imageRoot.resolve(q.image()));
            preds.add(
                    answerList == null
                            ? blip.answer(img, q.question())
                            : blip.answerFromList(img, q.question(), answerList, k));
            if (progress != null) {
                progress.accept(1);
            }
        }
        return preds;
    }

    /** NLVR2 accuracy (fraction) on an NLVR file. */
    public static double nlvr(Blip blip, Path annFile, Path imageRoot, IntConsumer progress) throws IOException {
        List<Annotations.Nlvr> items = Annotations.readNlvr(annFile);
        int[] pred = new int[items.size()];
        int[] gold = new int[items.size()];
        for (int i = 0; i < items.size(); i++) {
            Annotations.Nlvr n = items.get(i);
            double p = blip.nlvr(
                    blip.readImage(imageRoot.resolve(n.image0())),
                    blip.readImage(imageRoot.resolve(n.image1())),
                    n.sentence());
            pred[i] = p > 0.5 ? 1 : 0;
            gold[i] = n.label() ? 1 : 0;
            if (progress != null) {
                progress.accept(1);
            }
        }
        return NlvrAccuracy.accuracy(pred, gold);
    }

    private static double[][] fill(int r, int c, double value) {
        double[][] m = new double[r][c];
        for (double[] row : m) {
            java.util.Arrays.fill(row, value);
        }
        return m;
    }

    /** Text→image scores (texts × images): each text's top-k images by ITC re-scored as ITM logit + cosine. */
    private static double[][] itmTextToImage(
            Blip blip, List<RgbImage> images, List<String> texts, double[][] sim, int k) {
        double[][] t2i = fill(texts.size(), images.size(), -100);
        double[] col = new double[images.size()];
        for (int t = 0; t < texts.size(); t++) {
            for (int i = 0; i < col.length; i++) {
                col[i] = sim[i][t];
            }
            int[] top = topK(col, k);
            List<RgbImage> cand = new ArrayList<>();
            for (int i : top) {
                cand.add(images.get(i));
            }
            double[] itm = blip.itmLogits(cand, texts.get(t), Blip.MatchToken.ENC);
            for (int c = 0; c < top.length; c++) {
                t2i[t][top[c]] = itm[c] + col[top[c]];
            }
        }
        return t2i;
    }

    /**
     * Text→image scores (texts × images): each text's top-k images by ITC cosine scored by the captioner's
     * log-probability of the text, -∞ elsewhere (a log-probability has no floor, unlike ITM + cosine's -100). Grouped
     * by image, so the captioner's ViT runs once per image.
     */
    private static double[][] likelihoodTextToImage(
            Blip captioner, List<RgbImage> images, List<String> texts, double[][] sim, int k) {
        int ni = images.size();
        int nt = texts.size();
        List<List<Integer>> byImage = new ArrayList<>();
        for (int i = 0; i < ni; i++) {
            byImage.add(new ArrayList<>());
        }
        double[] col = new double[ni];
        for (int t = 0; t < nt; t++) {
            for (int i = 0; i < ni; i++) {
                col[i] = sim[i][t];
            }
            for (int i : topK(col, k)) {
                byImage.get(i).add(t);
            }
        }
        double[][] t2i = fill(nt, ni, Double.NEGATIVE_INFINITY);
        for (int i = 0; i < ni; i++) {
            List<Integer> own = byImage.get(i);
            double[] ll = captioner.captionLogProb(
                    images.get(i), own.stream().map(texts::get).toList());
            for (int j = 0; j < ll.length; j++) {
                t2i[own.get(j)][i] = ll[j];
            }
        }
        return t2i;
    }

    /** Indices of the k largest values, descending. */
    static int[] topK(double[] v, int k) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (a, b) -> Double.compare(v[b], v[a]));
        int n = Math.min(k, v.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = idx[i];
        }
        return out;
    }
}

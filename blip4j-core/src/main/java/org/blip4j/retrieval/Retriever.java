package org.blip4j.retrieval;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.blip4j.Blip;
import org.blip4j.image.RgbImage;
import org.blip4j.text.TextNormalizer;

/**
 * Text→image and image→text search in two stages, mirroring {@code train_retrieval.py evaluation}: ITC cosine picks
 * the top candidates from an {@link EmbeddingIndex}, then ITM re-ranks them with score = itm_logit(match) + cosine,
 * the text carrying [ENC] first. Candidates can be re-ranked instead by a captioning model's likelihood of the text
 * ({@link #Retriever(Blip, ImageSource, Blip)}).
 *
 * <p>The reference fills every non-candidate with -100, so only candidates are ranked; here the result holds the best
 * {@code topK} of them. Candidate images are read again from their ids (file paths by default) and re-encoded by the
 * ViT, as the reference does with its image tensors.
 */
public final class Retriever {
    /** The reference's number of ITM candidates for COCO ({@code k_test: 256}; Flickr30k uses 128). */
    public static final int COCO_CANDIDATES = 256;
    /** Flickr30k's {@code k_test}. */
    public static final int FLICKR_CANDIDATES = 128;

    /**
     * Search settings. {@code topK}: results returned; {@code candidates}: ITC candidates re-ranked by ITM (the
     * reference's {@code k_test}); {@code rerank}: false returns the ITC ranking alone; {@code batchSize}: candidate
     * images per ViT + ITM forward pass (text→image); {@code preCaption}: apply BLIP's {@code pre_caption(text, 30)} to
     * query and candidate texts as the COCO/Flickr datasets do (off by default: texts are used as given).
     */
    public record Options(int topK, int candidates, boolean rerank, int batchSize, boolean preCaption) {
        public Options {
            if (topK < 1) {
                throw new IllegalArgumentException("topK must be at least 1, got " + topK);
            }
            if (candidates < 1) {
                throw new IllegalArgumentException("candidates must be at least 1, got " + candidates);
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
            }
        }

        /** Top 10 of 256 ITM-re-ranked candidates (COCO's k_test), 8 candidates per forward pass. */
        public static Options defaults() {
            return new Options(10, COCO_CANDIDATES, true, 8, false);
        }

        public Options withTopK(int k) {
            return new Options(k, candidates, rerank, batchSize, preCaption);
        }

        public Options withCandidates(int c) {
            return new Options(topK, c, rerank, batchSize, preCaption);
        }

        public Options withRerank(boolean r) {
            return new Options(topK, candidates, r, batchSize, preCaption);
        }

        public Options withBatchSize(int b) {
            return new Options(topK, candidates, rerank, b, preCaption);
        }

        public Options withPreCaption(boolean p) {
            return new Options(topK, candidates, rerank, batchSize, p);
        }
    }

    /**
     * One ranked result: {@code rank} from 1, index {@code row} (-1 for in-memory texts: {@code row} is then the list
     * position), {@code score} = itm + cosine when re-ranked by ITM, the captioner's mean log-probability per token
     * of the text when re-ranked by a captioner, else cosine; {@code itm} NaN unless ITM re-ranked.
     */
    public record Hit(int rank, int row, String id, double score, double cosine, double itm) {}

    /** A candidate that could not be re-ranked (e.g. its image file is gone); it is left out of the ranking. */
    public record Failure(String id, Exception error) {}

    /** Ranked hits, best first, and the candidates that failed. */
    public record Result(List<Hit> hits, List<Failure> failures) {}

    /** Reads a candidate image from its index id. */
    @FunctionalInterface
    public interface ImageSource {
        RgbImage read(String id) throws IOException;
    }

    /**
     * Hears about re-ranking progress: {@code start} once with the candidate count, then {@code done} per candidate.
     */
    public interface Listener {
        default void start(int candidates) {}

        /** {@code error} is null when the candidate was scored. */
        default void done(String id, Exception error) {}
    }

    private static final Listener SILENT = new Listener() {};

    private final Blip blip;
    private final ImageSource images;
    private final Blip captioner; // re-ranks candidates by log p(text | image) per token when set, else ITM
    private final float[]
            centre; // a gallery's mean image embedding: image→text ITC scores subtract its cosine, or null

    /** Candidate images are read from their ids as file paths with the model's image loader. */
    public Retriever(Blip blip) {
        this(blip, id -> blip.readImage(Path.of(id)));
    }

    public Retriever(Blip blip, ImageSource images) {
        this(blip, images, null);
    }

    /**
     * With a {@code captioner} (a captioning model), candidates are re-ranked by its mean log-probability per token
     * of the text given the image ({@link Blip#captionLogProb(List, String)}, {@link Blip#captionLogProb(RgbImage,
     * List)}) instead of ITM, in both directions (docs/retrieval.md).
     */
    public Retriever(Blip blip, ImageSource images, Blip captioner) {
        this(blip, images, captioner, null);
    }

    private Retriever(Blip blip, ImageSource images, Blip captioner, float[] centre) {
        this.blip = blip;
        this.images = images;
        this.captioner = captioner;
        this.centre = centre;
    }

    /**
     * This retriever with image→text ITC scores centred on a gallery (not BLIP's; docs/retrieval.md, "Hubness
     * correction"): a text's score for an image is its cosine minus its mean cosine over the gallery's images, which
     * for unit embeddings is the cosine with the gallery's mean embedding {@code galleryMean} ({@link
     * EmbeddingIndex#meanVector()} of an image index). Candidates are picked and ITM-re-ranked (itm + centred cosine)
     * by that score; a hit's {@code cosine} stays the plain cosine. A captioner's re-ranking and text→image search are
     * unchanged.
     */
    public Retriever centredOn(float[] galleryMean) {
        if (galleryMean == null || galleryMean.length != blip.config().embedDim()) {
            throw new IllegalArgumentException(
                    "a gallery mean of " + blip.config().embedDim() + " values is needed, got "
                            + (galleryMean == null ? "none" : galleryMean.length));
        }
        return new Retriever(blip, images, captioner, galleryMean.clone());
    }

    // ---------------------------------------------------------------- text → image

    /** Images for a text query from an index of image embeddings (ids are image paths). */
    public Result textToImage(String query, EmbeddingIndex imageIndex, Options o) {
        return textToImage(query, imageIndex, o, SILENT);
    }

    public Result textToImage(String query, EmbeddingIndex imageIndex, Options o, Listener listener) {
        String text = o.preCaption() ? TextNormalizer.preCaption(query, 30) : query;
        float[] q = blip.textEmbedding(text);
        if (!o.rerank()) {
            return itcOnly(imageIndex.search(q, o.topK()));
        }
        List<EmbeddingIndex.Hit> cands = imageIndex.search(q, o.candidates());
        listener.start(cands.size());
        List<Hit> scored = new ArrayList<>();
        List<Failure> failures = new ArrayList<>();
        for (int start = 0; start < cands.size(); start += o.batchSize()) {
            List<EmbeddingIndex.Hit> chunk = cands.subList(start, Math.min(cands.size(), start + o.batchSize()));
            List<EmbeddingIndex.Hit> ok = new ArrayList<>();
            List<RgbImage> imgs = new ArrayList<>();
            for (EmbeddingIndex.Hit c : chunk) {
                try {
                    imgs.add(images.read(c.id()));
                    ok.add(c);
                } catch (IOException | RuntimeException e) {
                    failures.add(new Failure(c.id(), e));
                    listener.done(c.id(), e);
                }
            }
            if (imgs.isEmpty()) {
                continue;
            }
            double[] s = captioner != null
                    ? captioner.captionLogProb(imgs, text)
                    : blip.itmLogits(imgs, text, Blip.MatchToken.ENC);
            for (int i = 0; i < ok.size(); i++) {
                EmbeddingIndex.Hit c = ok.get(i);
                scored.add(
                        captioner != null
                                ? new Hit(0, c.row(), c.id(), s[i], c.score(), Double.NaN)
                                : new Hit(0, c.row(), c.id(), s[i] + c.score(), c.score(), s[i]));
                listener.done(c.id(), null);
            }
        }
        return new Result(rank(scored, o.topK()), failures);
    }

    // ---------------------------------------------------------------- image → text

    /** Texts for an image query from an index of text embeddings (ids are the texts). */
    public Result imageToText(RgbImage query, EmbeddingIndex textIndex, Options o) {
        return imageToText(query, textIndex, o, SILENT);
    }

    public Result imageToText(RgbImage query, EmbeddingIndex textIndex, Options o, Listener listener) {
        float[] q = blip.imageEmbedding(query);
        int n = o.rerank() ? o.candidates() : o.topK();
        if (centre == null) {
            List<Cand> cands = new ArrayList<>();
            for (EmbeddingIndex.Hit h : textIndex.search(q, n)) {
                cands.add(new Cand(h.row(), h.id(), h.score(), h.score()));
            }
            return rerankTexts(query, cands, o, listener);
        }
        float[] shifted = new float[q.length]; // (q - mean)·t orders texts as q·t - mean·t
        for (int j = 0; j < q.length; j++) {
            shifted[j] = q[j] - centre[j];
        }
        List<Cand> cands = new ArrayList<>();
        for (EmbeddingIndex.Hit h : textIndex.search(shifted, n)) {
            float[] t = textIndex.vector(h.row());
            double cos = dot(q, t);
            cands.add(new Cand(h.row(), h.id(), cos - dot(centre, t), cos));
        }
        return rerankTexts(query, cands, o, listener);
    }

    /** An image→text candidate: its ITC score (the cosine, or the centred cosine) and plain cosine. */
    private record Cand(int row, String id, double score, double cosine) {}

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int j = 0; j < a.length; j++) {
            s += a[j] * b[j];
        }
        return s;
    }

    /** Texts for an image query from an in-memory list (embedded now; a hit's row is its list position). */
    public Result imageToText(RgbImage query, List<String> texts, Options o) {
        return imageToText(query, texts, o, SILENT);
    }

    public Result imageToText(RgbImage query, List<String> texts, Options o, Listener listener) {
        float[][] emb = textEmbeddings(texts, o.preCaption());
        float[] q = blip.imageEmbedding(query);
        TopK top = new TopK(Math.min(texts.size(), o.rerank() ? o.candidates() : o.topK()));
        for (int r = 0; r < emb.length; r++) {
            float s = 0;
            for (int j = 0; j < q.length; j++) {
                s += q[j] * emb[r][j];
            }
            top.offer(centre == null ? s : (float) (s - dot(centre, emb[r])), r);
        }
        TopK.Sorted best = top.drain();
        List<Cand> cands = new ArrayList<>();
        for (int i = 0; i < best.rows().length; i++) {
            int r = best.rows()[i];
            double cos = centre == null ? best.scores()[i] : dot(q, emb[r]);
            double score = centre == null ? best.scores()[i] : cos - dot(centre, emb[r]);
            cands.add(new Cand(r, texts.get(r), score, cos));
        }
        return rerankTexts(query, cands, o, listener);
    }

    /**
     * ITC text embeddings in batches of 256 (as the reference's evaluation), for building a text index; with
     * {@code preCaption} each text is normalised first.
     */
    public float[][] textEmbeddings(List<String> texts, boolean preCaption) {
        float[][] out = new float[texts.size()][];
        for (int start = 0; start < texts.size(); start += 256) {
            List<String> chunk = texts.subList(start, Math.min(texts.size(), start + 256));
            if (preCaption) {
                chunk = chunk.stream()
                        .map(t -> TextNormalizer.preCaption(t, 30))
                        .toList();
            }
            float[][] e = blip.textEmbeddings(chunk);
            System.arraycopy(e, 0, out, start, e.length);
        }
        return out;
    }

    private Result rerankTexts(RgbImage query, List<Cand> cands, Options o, Listener listener) {
        if (!o.rerank()) {
            List<Hit> out = new ArrayList<>();
            for (Cand c : cands) {
                out.add(new Hit(0, c.row(), c.id(), c.score(), c.cosine(), Double.NaN));
            }
            return new Result(rank(out, o.topK()), List.of());
        }
        listener.start(cands.size());
        List<String> texts = cands.stream()
                .map(c -> o.preCaption() ? TextNormalizer.preCaption(c.id(), 30) : c.id())
                .toList();
        double[] s = captioner != null // one ViT pass for all candidates
                ? captioner.captionLogProb(query, texts)
                : blip.itmLogits(query, texts, Blip.MatchToken.ENC);
        List<Hit> scored = new ArrayList<>();
        for (int i = 0; i < cands.size(); i++) {
            Cand c = cands.get(i);
            scored.add(
                    captioner != null
                            ? new Hit(0, c.row(), c.id(), s[i], c.cosine(), Double.NaN)
                            : new Hit(0, c.row(), c.id(), s[i] + c.score(), c.cosine(), s[i]));
            listener.done(c.id(), null);
        }
        return new Result(rank(scored, o.topK()), List.of());
    }

    private static Result itcOnly(List<EmbeddingIndex.Hit> hits) {
        List<Hit> out = new ArrayList<>();
        for (EmbeddingIndex.Hit h : hits) {
            out.add(new Hit(out.size() + 1, h.row(), h.id(), h.score(), h.score(), Double.NaN));
        }
        return new Result(out, List.of());
    }

    /** Sorts by score desc (then by ITC order: row asc for equal scores), keeps topK, numbers the ranks. */
    private static List<Hit> rank(List<Hit> scored, int topK) {
        List<Hit> sorted = new ArrayList<>(scored);
        sorted.sort(Comparator.comparingDouble(Hit::score).reversed().thenComparingInt(Hit::row));
        List<Hit> out = new ArrayList<>();
        for (Hit h : sorted.subList(0, Math.min(topK, sorted.size()))) {
            out.add(new Hit(out.size() + 1, h.row(), h.id(), h.score(), h.cosine(), h.itm()));
        }
        return out;
    }
}

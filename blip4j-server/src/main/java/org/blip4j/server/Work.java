package org.blip4j.server;

import java.util.ArrayList;
import java.util.List;
import org.blip4j.Blip;
import org.blip4j.image.RgbImage;
import org.blip4j.retrieval.EmbeddingIndex;
import org.blip4j.retrieval.Retriever;
import org.blip4j.text.BertTokenizer;
import org.blip4j.text.TextNormalizer;

/**
 * The work items of each lane and the batch functions that serve them. A batch function serves a list of requests
 * with the same batch key in as few forward passes as the library allows, giving each request the result it would
 * get alone: images are encoded together, while each request's texts are tokenised (and padded) on their own.
 */
final class Work {
    private Work() {}

    /** A caption request; {@code options} carry no seed (it is per request: samples do not depend on the batch). */
    record Caption(RgbImage image, Blip.CaptionOptions options, int n, long seed) {
        /** Requests with equal decoding options and count decode together. */
        Object key() {
            return List.of(options, n);
        }
    }

    /** A VQA request answered by generation. */
    record Vqa(RgbImage image, String question) {}

    /** A VQA request answered by ranking {@code answers}. */
    record VqaRank(RgbImage image, String question, List<String> answers, int k) {}

    /** ITM p(match), or ITC cosines, of one image with several texts. */
    record Match(RgbImage image, List<String> texts, Blip.MatchToken token) {}

    /** Embeddings of some images and texts. */
    record Embed(List<RgbImage> images, List<String> texts) {}

    /** Projected, normalised embeddings in request order. */
    record Embeddings(float[][] images, float[][] texts) {}

    /** A search over an index: by text (for images) or by image (for texts). */
    record Search(EmbeddingIndex index, Retriever retriever, String text, RgbImage image, Retriever.Options options) {}

    static List<List<String>> captions(Blip blip, List<Caption> batch) {
        List<RgbImage> images = batch.stream().map(Caption::image).toList();
        long[] seeds = batch.stream().mapToLong(Caption::seed).toArray();
        Caption first = batch.get(0);
        return blip.captions(images, first.options(), first.n(), seeds);
    }

    /**
     * The batch key of a VQA question: its token count. The reference's answer decoder attends to every question
     * position, padding included, so only questions of equal length batch without changing each other's answers.
     */
    static Object vqaKey(Blip blip, String question) {
        BertTokenizer.Encoding e = blip.tokenizer()
                .encode(
                        List.of(TextNormalizer.preQuestion(question)),
                        Blip.ITM_MAX_TOKENS,
                        BertTokenizer.Padding.LONGEST);
        return e.ids()[0].length;
    }

    static List<String> answers(Blip blip, List<Vqa> batch) {
        return blip.answer(
                batch.stream().map(Vqa::image).toList(),
                batch.stream().map(Vqa::question).toList());
    }

    static List<String> rankedAnswers(Blip blip, List<VqaRank> batch) {
        List<String> out = new ArrayList<>();
        for (VqaRank r : batch) {
            out.add(blip.answerFromList(r.image(), r.question(), r.answers(), r.k()));
        }
        return out;
    }

    static List<double[]> itm(Blip blip, List<Match> batch) {
        double[][] p = blip.itm(
                batch.stream().map(Match::image).toList(),
                batch.stream().map(Match::texts).toList(),
                batch.get(0).token());
        return List.of(p);
    }

    /** Cosines as {@link Blip#itc}: images embedded together, each request's texts alone. */
    static List<double[]> itc(Blip blip, List<Match> batch) {
        float[][] img = blip.imageEmbeddings(batch.stream().map(Match::image).toList());
        List<double[]> out = new ArrayList<>();
        for (int b = 0; b < batch.size(); b++) {
            float[][] txt = blip.textEmbeddings(batch.get(b).texts());
            double[] cos = new double[txt.length];
            for (int k = 0; k < cos.length; k++) {
                double dot = 0;
                for (int j = 0; j < img[b].length; j++) {
                    dot += img[b][j] * txt[k][j];
                }
                cos[k] = dot;
            }
            out.add(cos);
        }
        return out;
    }

    static List<Embeddings> embeddings(Blip blip, List<Embed> batch) {
        List<RgbImage> all = new ArrayList<>();
        batch.forEach(e -> all.addAll(e.images()));
        float[][] img = all.isEmpty() ? new float[0][] : blip.imageEmbeddings(all);
        List<Embeddings> out = new ArrayList<>();
        int next = 0;
        for (Embed e : batch) {
            float[][] mine =
                    java.util.Arrays.copyOfRange(img, next, next + e.images().size());
            next += e.images().size();
            float[][] txt = e.texts().isEmpty() ? new float[0][] : blip.textEmbeddings(e.texts());
            out.add(new Embeddings(mine, txt));
        }
        return out;
    }

    static List<Retriever.Result> search(List<Search> batch) {
        List<Retriever.Result> out = new ArrayList<>();
        for (Search s : batch) {
            out.add(
                    s.text() != null
                            ? s.retriever().textToImage(s.text(), s.index(), s.options())
                            : s.retriever().imageToText(s.image(), s.index(), s.options()));
        }
        return out;
    }
}

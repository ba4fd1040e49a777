package org.blip4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.blip4j.Blip;
import org.blip4j.image.RgbImage;
import org.blip4j.retrieval.EmbeddingIndex;
import org.blip4j.retrieval.Retriever;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code blip4j search}: text→image search over an index, or image→text search over a list of texts. */
@Command(
        name = "search",
        mixinStandardHelpOptions = true,
        description = {
            "Search an index built by `blip4j index` with a text (text→image), or rank texts for an image "
                    + "(image→text).",
            "As BLIP's retrieval evaluation: ITC cosine picks --candidates, ITM re-ranks them with "
                    + "score = itm_logit + cosine (text with [ENC] first); --no-rerank keeps the ITC order; "
                    + "--captioner re-ranks by a captioning model's log p(text | image) per token instead. "
                    + "Prints rank, score, cosine and id per hit."
        },
        footer = {
            "",
            "Examples:",
            "  blip4j search -m models/blip-itm-base-coco --index photos.idx --text \"a dog on a beach\"",
            "  blip4j search -m model/ --index photos.idx -t \"red car\" -k 5 --candidates 128 --json",
            "  blip4j search -m model/ --index photos.idx -t \"red car\" --no-rerank -k 50",
            "  blip4j search -m shapes --captioner shapes --index shapes.idx -t \"a red circle left of a blue square\"",
            "  blip4j search -m model/ --image photo.jpg --texts captions.txt",
            "  blip4j search -m model/ --image photo.jpg --texts captions.txt --index captions.idx",
            "    (the last one keeps the text embeddings in captions.idx for later runs)",
            "  blip4j search -m model/ --image photo.jpg --texts captions.txt --center-on photos.idx",
            "    (texts scored against the mean of photos.idx's images too: fewer texts that win for every image)",
            "",
            "Exit codes: 0 ok, 1 a query or candidate failed (the others are still printed), 2 usage error."
        })
final class SearchCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(
            names = {"-i", "--index"},
            paramLabel = "DIR",
            description = "Index directory: images (for --text) or texts (for --image).")
    Path index;

    @Option(
            names = {"-t", "--text"},
            paramLabel = "QUERY",
            description = "Text query (repeatable): find images.")
    List<String> texts = new ArrayList<>();

    @Option(names = "--image", paramLabel = "IMAGE", description = "Image query (repeatable): rank texts.")
    List<Path> images = new ArrayList<>();

    @Option(
            names = "--texts",
            paramLabel = "FILE",
            description = "Texts to rank for --image, one per line (UTF-8). With --index they are added to that text "
                    + "index first (ones already there are skipped).")
    Path textsFile;

    @Option(
            names = {"-k", "--top"},
            defaultValue = "10",
            paramLabel = "K",
            description = "Results per query (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(
            names = "--candidates",
            defaultValue = "256",
            paramLabel = "N",
            description = "ITC candidates re-ranked by ITM: 256 as COCO, 128 as Flickr30k (default: ${DEFAULT-VALUE}).")
    int candidates;

    @Option(names = "--no-rerank", description = "ITC cosine only, no ITM re-ranking.")
    boolean noRerank;

    @Option(
            names = "--captioner",
            paramLabel = "MODEL",
            description = "Re-rank the candidates by this captioning model's log-probability of the text given "
                    + "the image, per token, instead of ITM ('shapes' = the embedded shapes/caption). See "
                    + "docs/retrieval.md.")
    String captioner;

    @Option(
            names = "--center-on",
            paramLabel = "DIR",
            description = "With --image: score each text by its cosine minus its mean cosine over the images of this "
                    + "image index (built by `blip4j index`), before re-ranking — a correction for texts that come "
                    + "first for every image (docs/retrieval.md, \"Hubness correction\"). Not BLIP's.")
    Path centerOn;

    @Option(
            names = "--batch-size",
            defaultValue = "8",
            paramLabel = "N",
            description = "Candidate images per ITM forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--pre-caption",
            description = "Normalise texts with BLIP's pre_caption(text, 30) as the COCO and "
                    + "Flickr datasets do (lower-case, punctuation to spaces).")
    boolean preCaption;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    private final ObjectMapper json = new ObjectMapper();
    private int failed;

    @Override
    public Integer call() throws Exception {
        var cl = spec.commandLine();
        if (texts.isEmpty() == images.isEmpty()) {
            throw new ParameterException(cl, "give text queries (--text) or image queries (--image), not both");
        }
        if (!texts.isEmpty() && index == null) {
            throw new ParameterException(
                    cl, "--text searches an image index: give --index DIR (built by `blip4j index`)");
        }
        if (!texts.isEmpty() && textsFile != null) {
            throw new ParameterException(cl, "--texts goes with --image queries");
        }
        if (centerOn != null && images.isEmpty()) {
            throw new ParameterException(cl, "--center-on corrects image→text search: use it with --image");
        }
        if (!images.isEmpty() && index == null && textsFile == null) {
            throw new ParameterException(cl, "--image ranks texts: give --texts FILE and/or a text --index DIR");
        }
        Retriever.Options opts;
        try {
            opts = new Retriever.Options(top, candidates, !noRerank, batchSize, preCaption);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(cl, e.getMessage());
        }
        if (captioner != null && noRerank) {
            throw new ParameterException(cl, "--captioner re-ranks candidates: leave out --no-rerank");
        }
        try (Blip blip = model.load();
                Blip cap = captioner == null ? null : CaptionerOption.load(model, captioner, spec)) {
            Retriever retriever = new Retriever(blip, id -> blip.readImage(java.nio.file.Path.of(id)), cap);
            if (centerOn != null) {
                try (EmbeddingIndex gallery = EmbeddingIndex.openReadOnly(centerOn)) {
                    gallery.requireCompatible(blip.config().embedDim(), EmbeddingIndex.Kind.IMAGE);
                    if (gallery.size() == 0) {
                        throw new ParameterException(cl, centerOn + ": --center-on needs an image index with images");
                    }
                    retriever = retriever.centredOn(gallery.meanVector());
                }
            }
            if (!texts.isEmpty()) {
                try (EmbeddingIndex idx = EmbeddingIndex.openReadOnly(index)) {
                    idx.requireCompatible(blip.config().embedDim(), EmbeddingIndex.Kind.IMAGE);
                    for (String q : texts) {
                        Retriever.Result r = retriever.textToImage(q, idx, opts, listener(opts));
                        print(q, "image", r);
                    }
                }
            } else {
                imageToText(blip, retriever, opts);
            }
        }
        return failed > 0 ? 1 : 0;
    }

    private void imageToText(Blip blip, Retriever retriever, Retriever.Options opts) throws Exception {
        List<String> list = null;
        if (textsFile != null) {
            LinkedHashSet<String> unique = new LinkedHashSet<>();
            for (String line : Files.readAllLines(textsFile, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    unique.add(line.strip());
                }
            }
            list = new ArrayList<>(unique);
            if (list.isEmpty()) {
                throw new ParameterException(spec.commandLine(), textsFile + ": no texts in it");
            }
        }
        EmbeddingIndex idx = null;
        try {
            if (index != null) {
                int dim = blip.config().embedDim();
                if (list != null) {
                    EmbeddingIndex writable = EmbeddingIndex.openOrCreate(index, dim, EmbeddingIndex.Kind.TEXT);
                    idx = writable;
                    List<String> missing =
                            list.stream().filter(t -> !writable.contains(t)).toList();
                    if (!missing.isEmpty()) {
                        writable.append(missing, List.of(retriever.textEmbeddings(missing, preCaption)));
                    }
                } else {
                    idx = EmbeddingIndex.openReadOnly(index);
                    idx.requireCompatible(dim, EmbeddingIndex.Kind.TEXT);
                }
            }
            for (Path f : images) {
                RgbImage img;
                try {
                    img = blip.readImage(f);
                } catch (Exception e) {
                    Report.failure(
                            spec.commandLine().getOut(),
                            spec.commandLine().getErr(),
                            json,
                            model.json,
                            "image",
                            f,
                            e,
                            model.verbose);
                    failed++;
                    continue;
                }
                Retriever.Result r = idx != null
                        ? retriever.imageToText(img, idx, opts, listener(opts))
                        : retriever.imageToText(img, list, opts, listener(opts));
                print(f.toString(), "text", r);
            }
        } finally {
            if (idx != null) {
                idx.close();
            }
        }
    }

    /** A progress bar over the candidates being re-ranked; failed candidates are reported and counted. */
    private Retriever.Listener listener(Retriever.Options opts) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        return new Retriever.Listener() {
            Progress progress;

            @Override
            public void start(int n) {
                progress = new Progress(err, n, true);
            }

            @Override
            public void done(String id, Exception error) {
                if (error != null) {
                    failed++;
                    Report.failure(out, err, json, model.json, "image", Path.of(id), error, model.verbose);
                }
                progress.step(error == null);
            }
        };
    }

    private void print(String query, String kind, Retriever.Result r) throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        boolean many = texts.size() + images.size() > 1;
        if (!model.json && many) {
            out.println("# " + query);
        }
        for (Retriever.Hit h : r.hits()) {
            if (model.json) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("query", query);
                row.put("rank", h.rank());
                row.put("score", h.score());
                row.put("cosine", h.cosine());
                row.put("itm", Double.isNaN(h.itm()) ? null : h.itm());
                row.put(kind, h.id());
                out.println(json.writeValueAsString(row));
            } else {
                out.printf("%d\t%.4f\t%.4f\t%s%n", h.rank(), h.score(), h.cosine(), h.id());
            }
        }
        out.flush();
    }
}

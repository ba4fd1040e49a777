package org.blip4j.server;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.blip4j.Blip;
import org.blip4j.generate.GenerationConfig;
import org.blip4j.generate.NucleusSampler;
import org.blip4j.image.RgbImage;
import org.blip4j.retrieval.Retriever;

/** The {@code /v1} JSON API: caption, vqa, itm, itc, embeddings, search, models, indexes, thumbnails, OpenAPI. */
final class Endpoints {
    /** Most tokens a caption may have (prompt included). */
    static final int MAX_LENGTH = 128;
    /** Most beams, and most captions per image. */
    static final int MAX_BEAMS = 10;
    /** Most ITM candidates a search may re-rank, and most results. */
    static final int MAX_CANDIDATES = 1024;

    static final int MAX_TOP_K = 100;
    /** Largest thumbnail edge. */
    static final int MAX_THUMBNAIL = 512;

    private final BlipServer server;

    Endpoints(BlipServer server) {
        this.server = server;
    }

    /** The API's routes, "METHOD path" → handler (the OpenAPI document describes each). */
    Map<String, io.javalin.http.Handler> routes() {
        Map<String, io.javalin.http.Handler> r = new LinkedHashMap<>();
        r.put("POST /v1/caption", this::caption);
        r.put("POST /v1/vqa", this::vqa);
        r.put("POST /v1/itm", this::itm);
        r.put("POST /v1/itc", this::itc);
        r.put("POST /v1/embeddings", this::embeddings);
        r.put("POST /v1/search/images", this::searchImages);
        r.put("POST /v1/search/texts", this::searchTexts);
        r.put("GET /v1/models", this::listModels);
        r.put("GET /v1/indexes", this::listIndexes);
        r.put("GET /v1/indexes/{name}/images/{row}", this::thumbnail);
        r.put("GET /v1/openapi.json", this::openapi);
        return r;
    }

    void register(RoutesConfig r) {
        routes().forEach((route, h) -> {
            String[] mp = route.split(" ", 2);
            BlipServer.route(r, HandlerType.findOrCreate(mp[0]), mp[1], h);
        });
    }

    private ApiRequest read(Context ctx, String... fields) {
        ApiRequest r = ApiRequest.read(ctx, server.config().limits(), server.loader(), server.json());
        r.allow(Set.of(fields));
        return r;
    }

    // ---------------------------------------------------------------- caption

    private void caption(Context ctx) {
        ApiRequest r = read(
                ctx,
                "image",
                "model",
                "beams",
                "max_length",
                "min_length",
                "sample",
                "top_p",
                "top_k",
                "temperature",
                "repetition_penalty",
                "no_repeat_ngram_size",
                "seed",
                "prefix",
                "num_captions");
        ServedModel m = server.model(r.string("model", null), Capability.CAPTION);
        boolean sample = r.bool("sample", false);
        var own = m.blip().generationDefaults(); // the model's generation_config.json, else the reference's
        int beams = r.integer("beams", sample ? 1 : own.numBeams(3), 1, MAX_BEAMS);
        int max = r.integer("max_length", Math.min(own.maxLength(30), MAX_LENGTH), 1, MAX_LENGTH);
        int min = r.integer("min_length", Math.min(own.minLength(10), max), 0, MAX_LENGTH);
        int n = r.integer("num_captions", 1, 1, MAX_BEAMS);
        long seed = r.longValue("seed", 0);
        String prefix = r.string("prefix", null);
        GenerationConfig gen;
        try {
            if (sample) {
                if (r.has("beams") && beams > 1) {
                    throw new IllegalArgumentException(
                            "beams: sampling draws one sequence at a time; use beams 1 with sample");
                }
                var sampler = new NucleusSampler(
                        r.number("top_p", 0.9, 1e-9, 1),
                        r.integer("top_k", 50, 0, 100_000),
                        r.number("temperature", 1.0, 1e-3, 100));
                gen = GenerationConfig.sampling(sampler, max, min, 0)
                        .withRepetitionPenalty(1.1); // as GenerationConfig.nucleus
            } else {
                for (String f : List.of("top_p", "top_k", "temperature")) {
                    if (r.has(f)) {
                        throw new IllegalArgumentException(f + ": only with \"sample\": true");
                    }
                }
                gen = GenerationConfig.beam(beams, max, min);
            }
            if (r.has("repetition_penalty")) {
                gen = gen.withRepetitionPenalty(r.number("repetition_penalty", 1.0, 1e-3, 100));
            }
            gen = gen.withNoRepeatNgramSize(r.integer("no_repeat_ngram_size", own.noRepeatNgramSize(0), 0, MAX_LENGTH));
            gen.withNumReturnSequences(n); // validates n against the beams
        } catch (IllegalArgumentException e) {
            throw ServiceException.badRequest("bad_parameter", e.getMessage());
        }
        Blip.CaptionOptions opts = Blip.CaptionOptions.defaults().withGeneration(gen);
        if (prefix != null) {
            opts = opts.withPrefix(prefix);
        }
        RgbImage img = r.image("image");
        Work.Caption w = new Work.Caption(img, opts, n, seed);
        server.<Work.Caption, List<String>>submit(ctx, m, Capability.CAPTION, w, w.key(), 1, caps -> {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", m.name());
            out.put("caption", caps.get(0));
            if (n > 1) {
                out.put("captions", caps);
            }
            return out;
        });
    }

    // ---------------------------------------------------------------- vqa

    private void vqa(Context ctx) {
        ApiRequest r = read(ctx, "image", "model", "question", "answers", "k");
        String question = r.requiredString("question");
        List<String> answers = r.strings("answers");
        Capability c = answers.isEmpty() ? Capability.VQA : Capability.VQA_RANK;
        ServedModel m = server.model(r.string("model", null), c);
        int k = r.integer("k", Math.min(128, Math.max(1, answers.size())), 1, Math.max(1, answers.size()));
        RgbImage img = r.image("image");
        if (c == Capability.VQA) {
            server.<Work.Vqa, String>submit(
                    ctx,
                    m,
                    c,
                    new Work.Vqa(img, question),
                    Work.vqaKey(m.blip(), question),
                    1,
                    a -> Map.of("model", m.name(), "answer", a, "mode", "generate"));
        } else {
            server.<Work.VqaRank, String>submit(
                    ctx,
                    m,
                    c,
                    new Work.VqaRank(img, question, answers, k),
                    "rank",
                    1,
                    a -> Map.of("model", m.name(), "answer", a, "mode", "rank"));
        }
    }

    // ---------------------------------------------------------------- itm / itc

    private void itm(Context ctx) {
        ApiRequest r = read(ctx, "image", "model", "texts", "match_token");
        ServedModel m = server.model(r.string("model", null), Capability.ITM);
        List<String> texts = requireTexts(r);
        Blip.MatchToken token =
                switch (r.string("match_token", m.matchToken().name()).toLowerCase(Locale.ROOT)) {
                    case "cls" -> Blip.MatchToken.CLS;
                    case "enc" -> Blip.MatchToken.ENC;
                    default -> throw ServiceException.badRequest("bad_parameter", "match_token: cls or enc");
                };
        RgbImage img = r.image("image");
        server.<Work.Match, double[]>submit(
                ctx,
                m,
                Capability.ITM,
                new Work.Match(img, texts, token),
                token,
                1,
                p -> Map.of("model", m.name(), "match_token", token.name().toLowerCase(Locale.ROOT), "scores", p));
    }

    private void itc(Context ctx) {
        ApiRequest r = read(ctx, "image", "model", "texts");
        ServedModel m = server.model(r.string("model", null), Capability.ITC);
        List<String> texts = requireTexts(r);
        RgbImage img = r.image("image");
        server.<Work.Match, double[]>submit(
                ctx,
                m,
                Capability.ITC,
                new Work.Match(img, texts, null),
                "itc",
                1,
                cos -> Map.of("model", m.name(), "scores", cos));
    }

    private static List<String> requireTexts(ApiRequest r) {
        List<String> texts = r.strings("texts");
        if (texts.isEmpty()) {
            throw ServiceException.badRequest("missing_parameter", "texts: give at least one text");
        }
        return texts;
    }

    // ---------------------------------------------------------------- embeddings

    private void embeddings(Context ctx) {
        ApiRequest r = read(ctx, "images", "texts", "model");
        ServedModel m = server.model(r.string("model", null), Capability.EMBEDDINGS);
        List<String> texts = r.strings("texts");
        List<RgbImage> images = r.images("images", server.config().limits().maxImages());
        if (texts.isEmpty() && images.isEmpty()) {
            throw ServiceException.badRequest("missing_parameter", "give images and/or texts to embed");
        }
        server.<Work.Embed, Work.Embeddings>submit(
                ctx,
                m,
                Capability.EMBEDDINGS,
                new Work.Embed(images, texts),
                "embed",
                Math.max(1, images.size()),
                e -> {
                    Map<String, Object> out = new LinkedHashMap<>();
                    out.put("model", m.name());
                    out.put("dim", m.blip().config().embedDim());
                    out.put("image_embeddings", e.images());
                    out.put("text_embeddings", e.texts());
                    return out;
                });
    }

    // ---------------------------------------------------------------- search

    private ServedIndex index(String name, boolean images) {
        if (name == null) {
            return server.indexes().values().stream()
                    .filter(i -> i.holdsImages() == images)
                    .findFirst()
                    .orElseThrow(() -> ServiceException.badRequest(
                            "no_index",
                            "no " + (images ? "image" : "text") + " index is served; start the "
                                    + "server with --index NAME=DIR"));
        }
        ServedIndex i = server.indexes().get(name);
        if (i == null) {
            throw ServiceException.badRequest(
                    "unknown_index",
                    "unknown index '" + name + "'; served: "
                            + String.join(", ", server.indexes().keySet()));
        }
        if (i.holdsImages() != images) {
            throw ServiceException.badRequest(
                    "wrong_index",
                    "index '" + name + "' holds " + (images ? "texts" : "images") + "; use /v1/search/"
                            + (images ? "texts" : "images"));
        }
        return i;
    }

    private Retriever.Options searchOptions(ApiRequest r) {
        return new Retriever.Options(
                r.integer("top_k", 10, 1, MAX_TOP_K),
                r.integer("candidates", Retriever.COCO_CANDIDATES, 1, MAX_CANDIDATES),
                r.bool("rerank", true),
                8,
                false);
    }

    private void searchImages(Context ctx) {
        ApiRequest r = read(ctx, "index", "text", "top_k", "candidates", "rerank");
        String text = r.requiredString("text");
        Retriever.Options o = searchOptions(r);
        ServedIndex idx = index(r.string("index", null), true);
        ServedModel m = server.model(idx.model().name(), Capability.SEARCH);
        Work.Search w = new Work.Search(idx.index(), idx.retriever(), text, null, o);
        server.<Work.Search, Retriever.Result>submit(ctx, m, Capability.SEARCH, w, "search", 1, res -> {
            List<Map<String, Object>> hits = new ArrayList<>();
            for (Retriever.Hit h : res.hits()) {
                Map<String, Object> e = hit(h);
                e.put("id", h.id());
                e.put("thumbnail", "/v1/indexes/" + idx.name() + "/images/" + h.row());
                hits.add(e);
            }
            List<Map<String, Object>> failures = new ArrayList<>();
            res.failures()
                    .forEach(f -> failures.add(Map.of(
                            "id", f.id(), "error", String.valueOf(f.error().getMessage()))));
            return Map.of("index", idx.name(), "model", m.name(), "query", text, "hits", hits, "failures", failures);
        });
    }

    private void searchTexts(Context ctx) {
        ApiRequest r = read(ctx, "index", "image", "top_k", "candidates", "rerank", "center_on");
        Retriever.Options o = searchOptions(r);
        ServedIndex idx = index(r.string("index", null), false);
        ServedModel m = server.model(idx.model().name(), Capability.SEARCH);
        Retriever retriever = idx.retriever();
        String centre = r.string("center_on", null);
        if (centre != null) { // hubness correction: texts scored against the gallery's mean image too
            ServedIndex gallery = index(centre, true);
            if (!gallery.model().name().equals(idx.model().name())) {
                throw ServiceException.badRequest(
                        "wrong_index",
                        "index '" + centre + "' holds embeddings of model '"
                                + gallery.model().name() + "', index '" + idx.name() + "' of '"
                                + idx.model().name() + "'");
            }
            retriever = retriever.centredOn(gallery.meanVector());
        }
        RgbImage img = r.image("image");
        Work.Search w = new Work.Search(idx.index(), retriever, null, img, o);
        server.<Work.Search, Retriever.Result>submit(ctx, m, Capability.SEARCH, w, "search", 1, res -> {
            List<Map<String, Object>> hits = new ArrayList<>();
            for (Retriever.Hit h : res.hits()) {
                Map<String, Object> e = hit(h);
                e.put("text", h.id());
                hits.add(e);
            }
            return Map.of("index", idx.name(), "model", m.name(), "hits", hits);
        });
    }

    private static Map<String, Object> hit(Retriever.Hit h) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("rank", h.rank());
        e.put("row", h.row());
        e.put("score", h.score());
        e.put("cosine", h.cosine());
        e.put("itm", Double.isNaN(h.itm()) ? null : h.itm());
        return e;
    }

    // ---------------------------------------------------------------- listings, thumbnails, OpenAPI

    private void listModels(Context ctx) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ServedModel m : server.models().values()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", m.name());
            e.put("spec", m.spec());
            e.put("task", m.blip().task().name().toLowerCase(Locale.ROOT));
            e.put(
                    "capabilities",
                    m.capabilities().stream().map(Capability::label).toList());
            e.put("image_size", m.blip().config().vision().imageSize());
            e.put("embed_dim", m.blip().config().embedDim());
            Map<String, Object> lanes = new LinkedHashMap<>();
            m.lanes()
                    .forEach((c, l) ->
                            lanes.put(c.label(), Map.of("queue_depth", l.depth(), "max_batch", l.maxBatch())));
            e.put("lanes", lanes);
            out.add(e);
        }
        server.send(ctx, 200, Map.of("models", out, "ready", server.isReady()));
    }

    private void listIndexes(Context ctx) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ServedIndex i : server.indexes().values()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", i.name());
            e.put("kind", i.holdsImages() ? "image" : "text");
            e.put("size", i.index().size());
            e.put("dim", i.index().dim());
            e.put("model", i.model().name());
            e.put("captioner", i.captioner() == null ? null : i.captioner().name()); // null: ITM re-ranks
            out.add(e);
        }
        server.send(ctx, 200, Map.of("indexes", out));
    }

    private void thumbnail(Context ctx) throws IOException {
        ServedIndex idx = server.indexes().get(ctx.pathParam("name"));
        if (idx == null || !idx.holdsImages()) {
            throw new ServiceException(404, "not_found", "no image index '" + ctx.pathParam("name") + "'", 0);
        }
        int row;
        try {
            row = Integer.parseInt(ctx.pathParam("row"));
        } catch (NumberFormatException e) {
            throw ServiceException.badRequest("bad_parameter", "row: must be an integer");
        }
        if (row < 0 || row >= idx.index().size()) {
            throw new ServiceException(
                    404,
                    "not_found",
                    "index '" + idx.name() + "' has rows 0.." + (idx.index().size() - 1),
                    0);
        }
        int size;
        try {
            size = ctx.queryParam("size") == null ? 160 : Integer.parseInt(ctx.queryParam("size"));
        } catch (NumberFormatException e) {
            throw ServiceException.badRequest("bad_parameter", "size: must be an integer");
        }
        if (size < 16 || size > MAX_THUMBNAIL) {
            throw ServiceException.badRequest("bad_parameter", "size: must be in [16, " + MAX_THUMBNAIL + "]");
        }
        RgbImage img;
        try {
            img = idx.image(row);
        } catch (IOException e) {
            throw new ServiceException(404, "image_unavailable", "the image of row " + row + " cannot be read", 0);
        }
        ctx.contentType("image/png")
                .header("Cache-Control", "private, max-age=3600")
                .result(Thumbnails.png(img, size));
    }

    private void openapi(Context ctx) throws IOException {
        try (InputStream in = Endpoints.class.getResourceAsStream("openapi.json")) {
            if (in == null) {
                throw new IOException("openapi.json missing from the jar");
            }
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            in.transferTo(b);
            ctx.contentType("application/json").result(b.toByteArray());
        }
    }
}

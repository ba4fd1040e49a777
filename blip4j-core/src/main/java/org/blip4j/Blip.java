package org.blip4j;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.blip4j.config.BlipConfig;
import org.blip4j.engine.OneDnnLinear;
import org.blip4j.engine.T;
import org.blip4j.generate.CrossAttentionDecoder;
import org.blip4j.generate.GenerationConfig;
import org.blip4j.generate.GenerationDefaults;
import org.blip4j.generate.Generator;
import org.blip4j.hub.ModelSource;
import org.blip4j.image.ImageProcessor;
import org.blip4j.image.RgbImage;
import org.blip4j.model.Bf16Inference;
import org.blip4j.model.BlipDecoder;
import org.blip4j.model.BlipItm;
import org.blip4j.model.BlipNlvr;
import org.blip4j.model.BlipVqa;
import org.blip4j.model.Int8Decoding;
import org.blip4j.text.BertTokenizer;
import org.blip4j.text.TextNormalizer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * A loaded BLIP model with its tokenizer and image transform: the library's front door.
 *
 * <pre>{@code
 * try (Blip blip = Blip.load(Path.of("models/blip-image-captioning-base"))) {
 *   String caption = blip.caption(Path.of("dog.jpg"));
 * }
 * // or a Hugging Face id, downloaded once into the standard Hugging Face cache:
 * try (Blip blip = Blip.load("Salesforce/blip-image-captioning-base")) { ... }
 * }</pre>
 *
 * <p>Thread-safe: weights are read-only and every call runs in its own native-memory scope with its own decoding
 * state, so one instance can serve concurrent callers.
 */
public final class Blip implements AutoCloseable {
    /** BLIP's caption prompt ({@code BLIP_Decoder(prompt='a picture of ')}). */
    public static final String PROMPT = "a picture of ";
    /** Text lengths of the reference: ITM/retrieval 35 tokens, captions 40. */
    public static final int ITM_MAX_TOKENS = 35;
    /** Texts per ITM forward pass against one image. */
    static final int TEXTS_PER_PASS = 64;
    /** Texts scored by the captioner as BLIP's caption training: {@code pre_caption(text, 30)}, 40 tokens. */
    static final int LIKELIHOOD_MAX_WORDS = 30;
    /** {@code BLIP_Decoder.forward}'s {@code max_length=40}, the prompt included. */
    static final int CAPTION_MAX_TOKENS = 40;

    private final Task task;
    private final BlipConfig config;
    private final BertTokenizer tokenizer;
    private final ImageProcessor images;
    private final GenerationDefaults generation;
    private final BlipDecoder decoder;
    private final BlipItm itm;
    private final BlipVqa vqa;
    private final BlipNlvr nlvr;
    private final Path source;
    private Int8Decoding int8; // opt-in int8 text decoder (caption, VQA), null for float32
    private Bf16Inference bf16; // opt-in bf16 linear layers, null for float32
    private List<Tensor> packedWeights; // registered with OneDnnLinear for its oneDNN-layout copies, or null

    /** Load-time choices; null fields mean "infer from the files". */
    public record Options(Task task, Integer imageSize, boolean applyExifOrientation) {
        public static Options defaults() {
            return new Options(null, null, false);
        }

        public Options withTask(Task t) {
            return new Options(t, imageSize, applyExifOrientation);
        }

        public Options withImageSize(Integer s) {
            return new Options(task, s, applyExifOrientation);
        }
    }

    Blip(
            Path source,
            Task task,
            BlipConfig config,
            BertTokenizer tok,
            ImageProcessor images,
            GenerationDefaults generation,
            BlipDecoder decoder,
            BlipItm itm,
            BlipVqa vqa,
            BlipNlvr nlvr) {
        this.source = source;
        this.task = task;
        this.config = config;
        this.tokenizer = tok;
        this.images = images;
        this.generation = generation;
        this.decoder = decoder;
        this.itm = itm;
        this.vqa = vqa;
        this.nlvr = nlvr;
        if (OneDnnLinear.enabled()) { // products of many rows then reuse weights in oneDNN's layout
            org.blip4j.nn.Block root = decoder != null ? decoder : itm != null ? itm : vqa != null ? vqa : nlvr;
            if (root != null) {
                packedWeights = Int8Decoding.linearWeights(root, "");
                OneDnnLinear.register(packedWeights);
            }
        }
    }

    /**
     * Loads a local folder or weight file, or a Hugging Face id {@code owner/name[@revision]} from the Hugging Face
     * cache, downloading it there first when needed (see {@link ModelSource}; settings from the {@code HF_*}
     * environment).
     */
    public static Blip load(String spec) throws IOException {
        return load(spec, Options.defaults());
    }

    /** {@link #load(String)} with load-time choices. */
    public static Blip load(String spec, Options options) throws IOException {
        return load(ModelSource.resolve(spec), options);
    }

    /** Loads a model folder or weight file with settings inferred from its files. */
    public static Blip load(Path path) throws IOException {
        return load(path, Options.defaults());
    }

    /** Loads a model folder or weight file (see {@link ModelFiles} for the layouts accepted; {@link BlipLoader}). */
    public static Blip load(Path path, Options options) throws IOException {
        return BlipLoader.load(path, options);
    }

    // ---------------------------------------------------------------- captioning

    /** Caption settings: decoding, and a text prefix (BLIP's prompt, or a user's conditional start). */
    public record CaptionOptions(GenerationConfig generation, String prompt, boolean stripPrompt) {
        /** The reference's {@code BLIP_Decoder.generate} defaults: 3 beams, max 30, min 10, prompt stripped. */
        public static CaptionOptions defaults() {
            return new CaptionOptions(GenerationConfig.beam(3, 30, 10), PROMPT, true);
        }

        public CaptionOptions withGeneration(GenerationConfig g) {
            return new CaptionOptions(g, prompt, stripPrompt);
        }

        /** Conditional captioning (HF {@code BlipForConditionalGeneration} with text): the prefix is kept. */
        public CaptionOptions withPrefix(String text) {
            return new CaptionOptions(generation, text, false);
        }
    }

    /**
     * Several captions per image: the n best beams, or n samples when the generation samples. The result has one
     * list of n captions per image.
     */
    public List<List<String>> captions(List<RgbImage> batch, CaptionOptions opts, int n) {
        return captions(batch, opts, n, null);
    }

    /**
     * {@link #captions(List, CaptionOptions, int)} with a sampling seed per image ({@code seeds[i]} for image i, null
     * for the config's seed shared by the batch): image i's samples are then those of {@code caption(List.of(image i),
     * opts)} with {@code seed = seeds[i]}, whatever else is in the batch. Beam search ignores the seeds.
     */
    public List<List<String>> captions(List<RgbImage> batch, CaptionOptions opts, int n, long[] seeds) {
        CaptionOptions o = opts.withGeneration(opts.generation().withNumReturnSequences(n));
        List<String> flat = caption(batch, o, seeds);
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            out.add(flat.subList(i * n, (i + 1) * n));
        }
        return out;
    }

    /** Captions one image file with this model's settings ({@link #captionDefaults()}). */
    public String caption(Path image) throws IOException {
        return caption(List.of(images.loader().load(image)), captionDefaults()).get(0);
    }

    /** Captions one image with this model's settings ({@link #captionDefaults()}). */
    public String caption(RgbImage image) {
        return caption(List.of(image), captionDefaults()).get(0);
    }

    /** Captions a batch of images with the same options (numReturnSequences captions per image, consecutive). */
    public List<String> caption(List<RgbImage> batch, CaptionOptions opts) {
        return caption(batch, opts, null);
    }

    /**
     * {@link #caption(List, CaptionOptions)} with a sampling seed per image ({@code seeds[i]} for image i; null: the
     * config's seed for the whole batch), so that an image's samples do not depend on its batch.
     */
    public List<String> caption(List<RgbImage> batch, CaptionOptions opts, long[] seeds) {
        List<String> texts = new ArrayList<>();
        for (long[] ids : captionIds(batch, opts, seeds)) {
            String t = tokenizer.decode(ids, true);
            texts.add(opts.stripPrompt() ? t.substring(Math.min(opts.prompt().length(), t.length())) : t);
        }
        return texts;
    }

    /**
     * The generated token ids, prompt included, as Hugging Face {@code generate} returns them ({@code [DEC]}, the
     * prompt's tokens, the new tokens, {@code [SEP]} unless cut by the length limit); rows of a batch may differ in
     * length.
     */
    public long[][] captionIds(List<RgbImage> batch, CaptionOptions opts, long[] seeds) {
        BlipDecoder d = require(decoder, "captioning");
        long[] prefix = tokenizer.encode(opts.prompt());
        prefix = java.util.Arrays.copyOf(prefix, prefix.length - 1); // drop [SEP]
        prefix[0] = tokenizer.bosId(); // [CLS] -> [DEC]
        long[][] prompts = new long[batch.size()][];
        java.util.Arrays.fill(prompts, prefix);
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            Tensor img = d.encodeImage(pixels(batch)); // (B, N, W)
            try (CrossAttentionDecoder step = new CrossAttentionDecoder(d.textDecoder(), img)) {
                return Int8Decoding.generate(
                        int8,
                        () -> Generator.generate(
                                step, prompts, opts.generation(), tokenizer.sepId(), tokenizer.padId(), null, seeds));
            }
        }
    }

    // ---------------------------------------------------------------- caption likelihood

    /**
     * The captioner's mean log-probability per token of one text for each image: log p(text | image) over the
     * text's tokens and [SEP] after [DEC] and the prompt ({@link BlipDecoder#textLogLikelihood}), divided by their
     * number; the text normalised and tokenised as BLIP's caption training does ({@code pre_caption}, at most 40
     * tokens). A generative match score: {@link org.blip4j.retrieval.Retriever} and retrieval evaluation can re-rank
     * candidates by it instead of ITM (docs/retrieval.md). One ViT pass.
     */
    public double[] captionLogProb(List<RgbImage> images, String text) {
        if (images.isEmpty()) {
            return new double[0];
        }
        BertTokenizer.Encoding enc = encodeForLikelihood(List.of(text));
        long[][] ids = new long[images.size()][];
        long[][] mask = new long[images.size()][];
        java.util.Arrays.fill(ids, enc.ids()[0]);
        java.util.Arrays.fill(mask, enc.attentionMask()[0]);
        return likelihoods(pixels(images), ids, mask);
    }

    /**
     * {@link #captionLogProb(List, String)} of each text for one image: texts of different lengths compare fairly
     * (per token), pads are not scored.
     */
    public double[] captionLogProb(RgbImage image, List<String> texts) {
        if (texts.isEmpty()) {
            return new double[0];
        }
        BertTokenizer.Encoding enc = encodeForLikelihood(texts);
        return likelihoods(pixels(List.of(image)), enc.ids(), enc.attentionMask());
    }

    private BertTokenizer.Encoding encodeForLikelihood(List<String> texts) {
        List<String> prompted = texts.stream()
                .map(t -> PROMPT + TextNormalizer.preCaption(t, LIKELIHOOD_MAX_WORDS))
                .toList();
        BertTokenizer.Encoding enc = tokenizer.encode(prompted, CAPTION_MAX_TOKENS, BertTokenizer.Padding.LONGEST);
        for (long[] row : enc.ids()) {
            row[0] = tokenizer.bosId(); // [CLS] -> [DEC]
        }
        return enc;
    }

    /**
     * Rows of ids (padded on the right) scored against one image each (B images), or all against one image. With one
     * image the rows go through in order of length, each pass cut to its longest row, so short texts pay for no pads.
     */
    private double[] likelihoods(Tensor px, long[][] ids, long[][] mask) {
        BlipDecoder d = require(decoder, "caption likelihood scoring");
        int promptLength = tokenizer.encode(PROMPT).length - 1; // [DEC] + the prompt's tokens
        int[] length = new int[ids.length]; // tokens per row, pads excluded
        for (int r = 0; r < ids.length; r++) {
            for (long m : mask[r]) {
                length[r] += (int) m;
            }
        }
        double[] out = new double[ids.length];
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            Tensor img = d.encodeImage(px); // (B or 1, N, W)
            boolean shared = img.size(0) == 1;
            Integer[] order = new Integer[ids.length];
            for (int r = 0; r < order.length; r++) {
                order[r] = r;
            }
            if (shared) {
                java.util.Arrays.sort(order, java.util.Comparator.comparingInt(r -> length[r]));
            }
            for (int start = 0; start < ids.length; start += TEXTS_PER_PASS) { // bounds activation memory
                int n = Math.min(TEXTS_PER_PASS, ids.length - start);
                int longest = 0;
                for (int i = 0; i < n; i++) {
                    longest = Math.max(longest, length[order[start + i]]);
                }
                long[][] chunkIds = new long[n][];
                long[][] chunkMask = new long[n][];
                for (int i = 0; i < n; i++) {
                    chunkIds[i] = java.util.Arrays.copyOf(ids[order[start + i]], longest);
                    chunkMask[i] = java.util.Arrays.copyOf(mask[order[start + i]], longest);
                }
                try (PointerScope step = new PointerScope()) {
                    // one image is read by every row: cross-attention's keys and values are computed once for it
                    Tensor rows = shared ? img : img.narrow(0, start, n); // (1 or n, N, W)
                    float[] f = T.toFloats(
                            d.textLogLikelihood(rows, T.longs(chunkIds), T.longs(chunkMask), promptLength)); // (n) sums
                    for (int i = 0; i < n; i++) {
                        int r = order[start + i];
                        out[r] = f[i] / Math.max(1, length[r] - promptLength); // per scored token
                    }
                }
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- matching and features

    /** Which token starts the text for ITM: BLIP_ITM and HF keep [CLS]; retrieval evaluation and LAVIS use [ENC]. */
    public enum MatchToken {
        CLS,
        ENC
    }

    /** ITM probabilities p(match) of one image with each text ({@code softmax(itm_head)[:, 1]}). */
    public double[] itm(RgbImage image, List<String> texts, MatchToken first) {
        return itmOutputs(image, texts, first, true);
    }

    /** Raw ITM match logits (itm_head[:, 1]), as the retrieval re-ranking adds to cosine similarity. */
    public double[] itmLogits(RgbImage image, List<String> texts, MatchToken first) {
        return itmOutputs(image, texts, first, false);
    }

    /**
     * ITM probabilities of several images, each with its own texts: {@code result[i][j]} is p(match) of image i with
     * {@code texts.get(i).get(j)}. One ViT pass encodes all images; each image's texts are then tokenised and scored
     * exactly as {@link #itm(RgbImage, List, MatchToken)} does for that image alone (for batching independent
     * requests).
     */
    public double[][] itm(List<RgbImage> images, List<List<String>> texts, MatchToken first) {
        return itmOutputs(images, texts, first, true);
    }

    private double[] itmOutputs(RgbImage image, List<String> texts, MatchToken first, boolean prob) {
        return itmOutputs(List.of(image), List.of(texts), first, prob)[0];
    }

    private double[][] itmOutputs(List<RgbImage> images, List<List<String>> texts, MatchToken first, boolean prob) {
        BlipItm m = require(itm, "image-text matching");
        if (images.size() != texts.size()) {
            throw new IllegalArgumentException(images.size() + " images but " + texts.size() + " text lists");
        }
        double[][] result = new double[images.size()][];
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            Tensor all = m.encodeImage(pixels(images)); // (B, N, W)
            for (int b = 0; b < images.size(); b++) {
                List<String> own = texts.get(b);
                result[b] = new double[own.size()];
                if (own.isEmpty()) {
                    continue;
                }
                BertTokenizer.Encoding enc = encodeForMatch(own, first);
                Tensor img = all.narrow(0, b, 1); // (1, N, W), shared by every text of image b
                Tensor ids = T.longs(enc.ids());
                Tensor mask = T.longs(enc.attentionMask());
                for (int start = 0; start < own.size(); start += TEXTS_PER_PASS) { // bounds activation memory
                    int n = Math.min(TEXTS_PER_PASS, own.size() - start);
                    try (PointerScope step = new PointerScope()) {
                        Tensor logits = m.itmLogits(img, ids.narrow(0, start, n), mask.narrow(0, start, n)); // (n, 2)
                        Tensor out = prob ? T.softmax(logits, -1).select(1, 1) : logits.select(1, 1);
                        float[] f = T.toFloats(out);
                        for (int i = 0; i < n; i++) {
                            result[b][start + i] = f[i];
                        }
                    }
                }
            }
        }
        return result;
    }

    /**
     * Raw ITM match logits (itm_head[:, 1]) of one text against each image, one ViT pass for the batch: the text→image
     * re-ranking of retrieval evaluation (with {@link MatchToken#ENC}).
     */
    public double[] itmLogits(List<RgbImage> images, String text, MatchToken first) {
        BlipItm m = require(itm, "image-text matching");
        BertTokenizer.Encoding enc = encodeForMatch(List.of(text), first);
        long[][] ids = new long[images.size()][];
        long[][] mask = new long[images.size()][];
        java.util.Arrays.fill(ids, enc.ids()[0]);
        java.util.Arrays.fill(mask, enc.attentionMask()[0]);
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            Tensor img = m.encodeImage(pixels(images)); // (B, N, W)
            Tensor logits = m.itmLogits(img, T.longs(ids), T.longs(mask)); // (B, 2), row i with image i
            return toDoubles(T.toFloats(logits.select(1, 1)));
        }
    }

    /**
     * Tokenises for the text encoder (35 tokens, padding longest), with [ENC] replacing [CLS] when asked: the one place
     * the encoder's first token is chosen (ITM, VQA questions, NLVR2 statements, video and multimodal features).
     */
    private BertTokenizer.Encoding encodeForMatch(List<String> texts, MatchToken first) {
        BertTokenizer.Encoding enc = tokenizer.encode(texts, ITM_MAX_TOKENS, BertTokenizer.Padding.LONGEST);
        if (first == MatchToken.ENC) {
            for (long[] row : enc.ids()) {
                row[0] = tokenizer.encId();
            }
        }
        return enc;
    }

    /** ITC cosine similarity of one image with each text (no temperature), as {@code BLIP_ITM(match_head='itc')}. */
    public double[] itc(RgbImage image, List<String> texts) {
        float[][] i = imageEmbeddings(List.of(image));
        float[][] t = textEmbeddings(texts);
        double[] out = new double[texts.size()];
        for (int k = 0; k < out.length; k++) {
            double dot = 0;
            for (int j = 0; j < i[0].length; j++) {
                dot += i[0][j] * t[k][j];
            }
            out[k] = dot;
        }
        return out;
    }

    /** Projected, L2-normalised image features (B, embed_dim) for ITC search. */
    public float[][] imageEmbeddings(List<RgbImage> batch) {
        BlipItm m = require(itm, "image features");
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            return T.toRows(m.imageFeature(m.encodeImage(pixels(batch))));
        }
    }

    /** Projected, L2-normalised text features (B, embed_dim) for ITC search. */
    public float[][] textEmbeddings(List<String> texts) {
        BlipItm m = require(itm, "text features");
        BertTokenizer.Encoding enc = tokenizer.encode(texts, ITM_MAX_TOKENS, BertTokenizer.Padding.LONGEST);
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            return T.toRows(m.textFeature(T.longs(enc.ids()), T.longs(enc.attentionMask())));
        }
    }

    /** Projected, L2-normalised ITC feature of one image (embed_dim). */
    public float[] imageEmbedding(RgbImage image) {
        return imageEmbeddings(List.of(image))[0];
    }

    /** Projected, L2-normalised ITC feature of one text (embed_dim). */
    public float[] textEmbedding(String text) {
        return textEmbeddings(List.of(text))[0];
    }

    // ---------------------------------------------------------------- zero-shot video (eval_retrieval_video.py)

    /**
     * Uniformly sampled frame indices exactly as the reference's {@code VideoDataset} ({@code data/video_dataset.py}):
     * {@code np.arange(0, frames, frames / count, dtype=int)}. With an integer dtype numpy steps by the integer
     * difference of the first two values, so the indices are {@code i * floor(frames / count)} (20 frames, 8 samples:
     * 0, 2, 4, …, 14 — not 0, 2, 5, 7, …), and a video shorter than {@code count} frames repeats frame 0.
     */
    public static int[] sampleFrameIndices(int frames, int count) {
        if (frames < 1 || count < 1) {
            throw new IllegalArgumentException("need at least one frame and one sample");
        }
        double step = (double) frames / count;
        int n = (int) Math.ceil(frames / step); // numpy's length: ceil((stop - start) / step)
        int delta = (int) step; // int(start + step) - int(start)
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i * delta;
        }
        return idx;
    }

    /** A video's ITC feature: the frames' projected [CLS] features averaged, then L2-normalised. */
    public float[] videoEmbedding(List<RgbImage> frames) {
        BlipItm m = require(itm, "video features");
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            Tensor cls = m.encodeImage(pixels(frames)).select(1, 0); // (F, W)
            Tensor mean =
                    m.visionProjection(cls).mean(new long[] {0}, true, new org.bytedeco.pytorch.ScalarTypeOptional());
            return T.toRows(T.normalize(mean))[0]; // (1, E)
        }
    }

    /**
     * Raw ITM match logits of texts ([ENC] first) cross-attending to all frames' tokens concatenated (F·N, W), as the
     * reference re-ranks text→video candidates (add the cosine with {@link #videoEmbedding} for its score).
     */
    public double[] videoItmLogits(List<RgbImage> frames, List<String> texts) {
        BlipItm m = require(itm, "video matching");
        BertTokenizer.Encoding enc = encodeForMatch(texts, MatchToken.ENC);
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            Tensor h = m.encodeImage(pixels(frames)); // (F, N, W)
            Tensor video = h.reshape(1, -1, h.size(2)); // (1, F·N, W)
            Tensor logits = m.itmLogits(video, T.longs(enc.ids()), T.longs(enc.attentionMask())); // (n, 2)
            return toDoubles(T.toFloats(logits.select(1, 1)));
        }
    }

    // ---------------------------------------------------------------- raw features (BLIP_Base feature extractor)

    /**
     * Raw image features, {@code BLIP_Base(mode='image')}: the ViT's last hidden states (B, N, W) after its final
     * LayerNorm, [CLS] first, not projected.
     */
    public float[][][] imageStates(List<RgbImage> batch) {
        BlipItm m = require(itm, "image features");
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            Tensor h = m.encodeImage(pixels(batch)); // (B, N, W)
            int b = (int) h.size(0);
            int n = (int) h.size(1);
            int w = (int) h.size(2);
            float[] flat = T.toFloats(h);
            float[][][] out = new float[b][n][w];
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < n; j++) {
                    System.arraycopy(flat, (i * n + j) * w, out[i][j], 0, w);
                }
            }
            return out;
        }
    }

    /**
     * Raw text features, {@code BLIP_Base(mode='text')}: the unimodal text encoder's [CLS] hidden state (B, D), no
     * cross-attention, not projected (texts truncated to 35 tokens as for matching).
     */
    public float[][] textStates(List<String> texts) {
        BlipItm m = require(itm, "text features");
        BertTokenizer.Encoding enc = tokenizer.encode(texts, ITM_MAX_TOKENS, BertTokenizer.Padding.LONGEST);
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            return T.toRows(m.textStates(T.longs(enc.ids()), T.longs(enc.attentionMask()))
                    .select(1, 0));
        }
    }

    /**
     * Raw multimodal features, {@code BLIP_Base(mode='multimodal')}: each text with [ENC] first cross-attends to the
     * image; its first hidden state (n, D).
     */
    public float[][] multimodalStates(RgbImage image, List<String> texts) {
        BlipItm m = require(itm, "multimodal features");
        BertTokenizer.Encoding enc = encodeForMatch(texts, MatchToken.ENC);
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            Tensor img = m.encodeImage(pixels(List.of(image))); // (1, N, W)
            return T.toRows(m.multimodalStates(img, T.longs(enc.ids()), T.longs(enc.attentionMask()))
                    .select(1, 0));
        }
    }

    // ---------------------------------------------------------------- VQA and NLVR2

    /**
     * How to answer by generation: decoding, which token starts the question, and whether the question is normalised
     * first ({@code pre_question}).
     */
    public record AnswerOptions(GenerationConfig generation, MatchToken questionStart, boolean normalize) {
        /** {@code BLIP_VQA(inference='generate')}: 3 beams, max 10, min 1; [ENC] first; pre_question. */
        public static AnswerOptions defaults() {
            return new AnswerOptions(GenerationConfig.beam(3, 10, 1), MatchToken.ENC, true);
        }

        /**
         * Hugging Face {@code BlipForQuestionAnswering.generate} with its defaults: greedy, max 20 tokens; the question
         * as the processor tokenises it ([CLS] first, not normalised).
         */
        public static AnswerOptions huggingFace() {
            return new AnswerOptions(GenerationConfig.greedy(20, 0), MatchToken.CLS, false);
        }
    }

    /** Answers a question by generation ({@code BLIP_VQA(inference='generate')}: 3 beams, max 10, min 1). */
    public String answer(RgbImage image, String question) {
        return answer(List.of(image), List.of(question)).get(0);
    }

    /**
     * Answers question i about image i, all in one batch exactly as {@code BLIP_VQA.forward(inference='generate')}.
     * As in the reference, the answer decoder attends to every question position, padding included, so a short
     * question's answer can differ from the one {@link #answer(RgbImage, String)} gives alone.
     */
    public List<String> answer(List<RgbImage> batch, List<String> questions) {
        List<String> answers = new ArrayList<>();
        for (long[] ids : answerIds(batch, questions, AnswerOptions.defaults())) {
            answers.add(tokenizer.decode(ids, true));
        }
        return answers;
    }

    /** The generated answer ids ({@code [DEC]} first, as {@code generate} returns them) of question i about image i. */
    public long[][] answerIds(List<RgbImage> batch, List<String> questions, AnswerOptions opts) {
        BlipVqa m = require(vqa, "question answering");
        if (batch.size() != questions.size()) {
            throw new IllegalArgumentException(batch.size() + " images but " + questions.size() + " questions");
        }
        List<String> texts = opts.normalize()
                ? questions.stream().map(TextNormalizer::preQuestion).toList()
                : questions;
        BertTokenizer.Encoding enc = encodeForMatch(texts, opts.questionStart());
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            Tensor img = m.encodeImage(pixels(batch));
            Tensor q = m.questionStates(img, T.longs(enc.ids()), T.longs(enc.attentionMask())); // (B, Lq, D)
            long[][] bos = new long[batch.size()][];
            java.util.Arrays.fill(bos, new long[] {tokenizer.bosId()});
            try (CrossAttentionDecoder step = new CrossAttentionDecoder(m.textDecoder(), q)) {
                return Int8Decoding.generate(
                        int8,
                        () -> Generator.generate(
                                step, bos, opts.generation(), tokenizer.sepId(), tokenizer.padId(), null));
            }
        }
    }

    /**
     * Answers by ranking a candidate list ({@code BLIP_VQA(inference='rank')}, k_test 128 in the reference): returns
     * the chosen answer. Answers are tokenized once per call; for large lists keep using the same list object.
     */
    public String answerFromList(RgbImage image, String question, List<String> answers, int k) {
        BlipVqa m = require(vqa, "question answering");
        if (answers.isEmpty()) {
            throw new IllegalArgumentException("the answer list is empty");
        }
        BertTokenizer.Encoding q = encodeForMatch(List.of(TextNormalizer.preQuestion(question)), MatchToken.ENC);
        BertTokenizer.Encoding a = tokenizer.encode(answers, Integer.MAX_VALUE, BertTokenizer.Padding.LONGEST);
        for (long[] row : a.ids()) {
            row[0] = tokenizer.bosId();
        }
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            Tensor img = m.encodeImage(pixels(List.of(image)));
            Tensor qmask = T.longs(q.attentionMask());
            Tensor states = m.questionStates(img, T.longs(q.ids()), qmask);
            return answers.get(m.rankAnswers(states, qmask, T.longs(a.ids()), T.longs(a.attentionMask()), k)
                    .best());
        }
    }

    /** NLVR2: probability that the statement is true of the image pair. */
    public double nlvr(RgbImage left, RgbImage right, String statement) {
        BlipNlvr m = require(nlvr, "NLVR2");
        BertTokenizer.Encoding enc = encodeForMatch(List.of(TextNormalizer.preCaption(statement, 40)), MatchToken.ENC);
        try (PointerScope s = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            Tensor both = m.visualEncoder().forward(pixels(List.of(left, right))); // (2, N, W)
            Tensor logits = m.logits(
                    both.narrow(0, 0, 1), both.narrow(0, 1, 1), T.longs(enc.ids()), T.longs(enc.attentionMask()));
            return T.toFloats(T.softmax(logits, -1).select(1, 1))[0];
        }
    }

    // ---------------------------------------------------------------- plumbing

    /** Decodes an image file with this model's loader (size limits, EXIF option). */
    public RgbImage readImage(Path file) throws IOException {
        return images.loader().load(file);
    }

    /**
     * Decodes an encoded image held in memory (e.g. read from a Hadoop file system) with this model's loader, exactly
     * as {@link #readImage(Path)} decodes the same bytes from a file; {@code name} only labels error messages.
     */
    public RgbImage readImage(byte[] encoded, String name) throws IOException {
        return images.loader().load(encoded, name);
    }

    public ImageProcessor imageProcessor() {
        return images;
    }

    private Tensor pixels(List<RgbImage> batch) {
        float[] px = images.processImages(batch);
        return T.floats(px, batch.size(), 3, images.height(), images.width()); // (B, 3, S, S)
    }

    private <M> M require(M network, String what) {
        if (network == null) {
            throw new UnsupportedOperationException(source + " holds " + task.describe() + " model, which cannot do "
                    + what + "; use a checkpoint trained for " + what);
        }
        return network;
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /** The model's own caption settings ({@code generation_config.json}; {@link GenerationDefaults#NONE} without). */
    public GenerationDefaults generationDefaults() {
        return generation;
    }

    /**
     * Caption settings for this model: {@link CaptionOptions#defaults()} (the reference's 3 beams, max 30, min 10)
     * with the beams and lengths its {@code generation_config.json} gives in their place.
     */
    public CaptionOptions captionDefaults() {
        return CaptionOptions.defaults().withGeneration(generation.beam(null, null, null, 3, 30, 10));
    }

    public Task task() {
        return task;
    }

    /** The weight file this model was loaded from. */
    public Path source() {
        return source;
    }

    public BlipConfig config() {
        return config;
    }

    public BertTokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public synchronized void close() {
        if (int8 != null) {
            int8.close();
            int8 = null;
        }
        if (bf16 != null) {
            bf16.close();
            bf16 = null;
        }
        if (packedWeights != null) {
            OneDnnLinear.unregister(packedWeights);
            packedWeights = null;
        }
    }

    /**
     * Runs this model's linear layers in bfloat16 from now on ({@link Bf16Inference}): the image encoder, text
     * encoders and decoding; about 2× faster encoding and 1.8× faster decoding on CPUs with AVX-512 BF16, at bf16
     * rounding (docs/performance.md gives the agreement with float32). The LM head's transform stays float32 and the
     * vocabulary projection's top 64 logits per row are recomputed in float32; weights served in int8 by
     * {@link #useInt8Decoding()} stay int8. Idempotent; {@link #close()} frees the bf16 copies.
     */
    public synchronized Blip useBf16() {
        if (bf16 == null) {
            org.blip4j.nn.Block root = decoder != null ? decoder : itm != null ? itm : vqa != null ? vqa : nlvr;
            bf16 = Bf16Inference.enable(root);
        }
        return this;
    }

    /**
     * Runs the text decoder's linear layers (caption and VQA generation) in int8 from now on: FBGEMM dynamic
     * quantisation, faster decoding at a small cost in quality (docs/performance.md). Idempotent; {@link #close()}
     * frees the int8 weights. Throws {@link UnsupportedOperationException} on CPUs FBGEMM does not support, and
     * {@link IllegalStateException} for a model without a text decoder.
     */
    public synchronized Blip useInt8Decoding() {
        if (int8 == null) {
            org.blip4j.nn.Block d = decoder != null ? decoder.textDecoder() : vqa != null ? vqa.textDecoder() : null;
            if (d == null) {
                throw new IllegalStateException("--int8 needs a captioning or VQA model (this one is " + task + ")");
            }
            int8 = Int8Decoding.enable(d);
        }
        return this;
    }
}

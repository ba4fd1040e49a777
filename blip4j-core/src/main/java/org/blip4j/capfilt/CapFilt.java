package org.blip4j.capfilt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.blip4j.Blip;
import org.blip4j.data.Annotations;
import org.blip4j.generate.GenerationConfig;
import org.blip4j.image.RgbImage;

/**
 * CapFilt (BLIP paper §3.3): captions each web image with a captioner, scores the web text and every synthetic
 * caption with a filter's ITM p(match), keeps the texts above the threshold, and writes a bootstrapped pre-training
 * list; streaming, in bounded batches, resumable after a kill with byte-identical output.
 *
 * <pre>{@code
 * try (Blip captioner = Blip.load(Path.of("models/caption-coco"));
 *     Blip filter = Blip.load(Path.of("models/retrieval-coco"))) {
 *   CapFilt.Result r = new CapFilt(captioner, filter, CapFilt.Options.defaults())
 *       .run(Path.of("web.jsonl"), Path.of("images"), Path.of("out"), null);
 * }
 * }</pre>
 *
 * <p>Item {@code i} of the web file (0-based, counting every entry) is captioned with its own sampling seed
 * {@link #itemSeed}(seed, i), so its synthetic captions do not depend on batching or restarts. Items are grouped in
 * shards of {@code shardSize} consecutive indices; batches never cross a shard. After each shard its files are
 * renamed into place and {@code progress.json} is replaced atomically; a restart with the same settings skips the
 * committed shards (reading the input up to the resume point) and finishes with exactly the files an uninterrupted
 * run writes. Nothing that varies between runs (times, rates) goes into the output files.
 */
public final class CapFilt {
    public static final String BOOTSTRAPPED = "bootstrapped.json";
    public static final String DECISIONS = "decisions";
    public static final String REJECTS = "rejects.jsonl";
    public static final String REPORT = "report.json";
    public static final String HISTOGRAM = "itm_histogram.png";
    public static final String EXAMPLES = "examples.html";
    public static final String PROGRESS = "progress.json";
    /** Per-shard fragments of bootstrapped.json and rejects.jsonl; deleted once the run is complete. */
    public static final String WORK = "work";

    /**
     * CapFilt settings.
     *
     * @param captionsPerImage synthetic captions per web image (the paper: 1)
     * @param generation decoding: {@link #nucleus(double)} (BLIP's CapFilt: top_p 0.9) or {@link #beam()}; its seed is
     *     ignored, each item samples with {@link CapFilt#itemSeed}
     * @param threshold a text is kept when p(match) &gt; threshold (the authors': 0.5)
     * @param batchSize images per captioning pass
     * @param seed seed the per-item sampling seeds and the example sample derive from
     * @param shardSize items per decisions shard and per checkpoint
     * @param matchToken first token of the filter's ITM input: {@link Blip.MatchToken#CLS} as {@code BLIP_ITM} and
     *     Hugging Face's {@code BlipForImageTextRetrieval} score (default), or {@link Blip.MatchToken#ENC} as the
     *     filter's ITM head was trained and as retrieval evaluation scores
     * @param examples examples on {@code examples.html} (0: none)
     * @param human optional human annotations (JSON array or JSON Lines), copied entry by entry into bootstrapped.json
     */
    public record Options(
            int captionsPerImage,
            GenerationConfig generation,
            double threshold,
            int batchSize,
            long seed,
            int shardSize,
            Blip.MatchToken matchToken,
            int examples,
            Path human) {
        public Options {
            if (captionsPerImage < 1) {
                throw new IllegalArgumentException("captions per image must be at least 1, got " + captionsPerImage);
            }
            if (generation == null) {
                throw new IllegalArgumentException("no decoding settings");
            }
            if (!generation.sample() && captionsPerImage > generation.numBeams()) {
                throw new IllegalArgumentException(captionsPerImage
                        + " captions per image need at least as many beams, got " + generation.numBeams());
            }
            if (!(threshold >= 0 && threshold <= 1)) {
                throw new IllegalArgumentException("threshold must be in [0, 1], got " + threshold);
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
            }
            if (shardSize < 1) {
                throw new IllegalArgumentException("shard size must be at least 1, got " + shardSize);
            }
            if (examples < 0) {
                throw new IllegalArgumentException("examples must be >= 0, got " + examples);
            }
            if (matchToken == null) {
                throw new IllegalArgumentException("no match token");
            }
        }

        /** One nucleus-sampled caption per image (top_p 0.9), threshold 0.5, batch 8, seed 0, shards of 1000, [CLS]. */
        public static Options defaults() {
            return new Options(1, nucleus(0.9), 0.5, 8, 0, 1000, Blip.MatchToken.CLS, 24, null);
        }

        /**
         * BLIP's sampling ({@code BLIP_Decoder.generate(sample=True)}): top_p, top_k 50, repetition 1.1, max 30, min
         * 10.
         */
        public static GenerationConfig nucleus(double topP) {
            return GenerationConfig.nucleus(topP, 30, 10, 0);
        }

        /** BLIP's default decoding: 3 beams, max 30, min 10. */
        public static GenerationConfig beam() {
            return GenerationConfig.beam(3, 30, 10);
        }

        public Options withCaptionsPerImage(int n) {
            GenerationConfig g = generation;
            if (!g.sample() && g.numBeams() < n) {
                g = GenerationConfig.beam(n, g.maxLength(), g.minLength());
            }
            return new Options(n, g, threshold, batchSize, seed, shardSize, matchToken, examples, human);
        }

        public Options withGeneration(GenerationConfig g) {
            return new Options(captionsPerImage, g, threshold, batchSize, seed, shardSize, matchToken, examples, human);
        }

        public Options withThreshold(double t) {
            return new Options(
                    captionsPerImage, generation, t, batchSize, seed, shardSize, matchToken, examples, human);
        }

        public Options withBatchSize(int b) {
            return new Options(
                    captionsPerImage, generation, threshold, b, seed, shardSize, matchToken, examples, human);
        }

        public Options withSeed(long s) {
            return new Options(
                    captionsPerImage, generation, threshold, batchSize, s, shardSize, matchToken, examples, human);
        }

        public Options withShardSize(int s) {
            return new Options(
                    captionsPerImage, generation, threshold, batchSize, seed, s, matchToken, examples, human);
        }

        public Options withMatchToken(Blip.MatchToken t) {
            return new Options(captionsPerImage, generation, threshold, batchSize, seed, shardSize, t, examples, human);
        }

        public Options withExamples(int n) {
            return new Options(
                    captionsPerImage, generation, threshold, batchSize, seed, shardSize, matchToken, n, human);
        }

        public Options withHuman(Path h) {
            return new Options(
                    captionsPerImage, generation, threshold, batchSize, seed, shardSize, matchToken, examples, h);
        }
    }

    /** Progress callbacks, all on the thread that runs the pipeline (a slow listener slows the run). */
    public interface Listener {
        /** The run starts (or resumes) at item {@code firstItem} of {@code totalItems}. */
        default void started(long firstItem, long totalItems) {}

        /**
         * Item {@code index} (its {@code image} as the web file gives it) is done: scored, or rejected with {@code
         * error} (null when scored).
         */
        default void itemDone(long index, String image, String error) {}

        /** Every item before {@code nextItem} is committed: a restart resumes there. */
        default void checkpoint(long nextItem) {}

        /** Something that does not stop the run (e.g. a plot drawn without text). */
        default void warning(String message) {}
    }

    /** Texts of one source scored and kept. */
    public record Counts(long texts, long kept) {
        public long removed() {
            return texts - kept;
        }
    }

    /**
     * What a run did.
     *
     * @param items web items in the input
     * @param scored items whose image was read and scored
     * @param rejected items whose image was missing or unreadable
     * @param human human annotations copied
     * @param web web texts scored and kept
     * @param synthetic synthetic captions scored and kept
     * @param firstItem the item this invocation started at (0, or the resume point)
     * @param processed items this invocation processed
     * @param seconds this invocation's processing time (input pass and models; not model loading)
     * @param alreadyComplete the output folder held a complete run: nothing was done
     */
    public record Result(
            long items,
            long scored,
            long rejected,
            long human,
            Counts web,
            Counts synthetic,
            long firstItem,
            long processed,
            double seconds,
            boolean alreadyComplete) {
        /** Entries of bootstrapped.json. */
        public long bootstrapped() {
            return human + web.kept() + synthetic.kept();
        }

        /** Web items (image-text pairs) processed per second by this invocation. */
        public double pairsPerSecond() {
            return processed / Math.max(seconds, 1e-9);
        }
    }

    /** The output folder holds something else than a run with these settings (another run, or foreign files). */
    public static final class OutputConflictException extends IOException {
        public OutputConflictException(String message) {
            super(message);
        }
    }

    private final Blip captioner;
    private final Blip filter;
    private final Options options;
    private final Bootstrapper bootstrapper;
    private final ObjectMapper json = new ObjectMapper();

    /** A pipeline with a captioning model (BLIP_Decoder) and a filter (an ITM, retrieval or pre-training model). */
    public CapFilt(Blip captioner, Blip filter, Options options) {
        this.bootstrapper = new Bootstrapper(captioner, filter, options);
        this.captioner = captioner;
        this.filter = filter;
        this.options = options;
    }

    public Options options() {
        return options;
    }

    /** The sampling seed of web item {@code index} ({@link Bootstrapper#itemSeed}). */
    public static long itemSeed(long seed, long index) {
        return Bootstrapper.itemSeed(seed, index);
    }

    /** The key that selects examples: the items with the smallest keys are shown. */
    static long exampleKey(long seed, long index) {
        return Bootstrapper.mix(Bootstrapper.mix(seed ^ 0x6A09E667F3BCC909L) + index);
    }

    /**
     * Runs (or resumes) CapFilt over the web pairs ({@code {image, caption}} entries, a JSON array or JSON Lines; a
     * caption may be a list, each of its texts then scored) with images resolved against {@code images} (absolute
     * paths as they are), writing into {@code out}. A folder holding a complete run with the same settings is left as
     * it is; one holding another run or other files is refused ({@link OutputConflictException}).
     */
    public Result run(Path web, Path images, Path out, Listener listener) throws IOException {
        Listener l = listener != null ? listener : new Listener() {};
        if (!Files.isRegularFile(web)) {
            throw new NoSuchFileException(web.toString(), null, "web pairs file not found");
        }
        if (!Files.isDirectory(images)) {
            throw new NoSuchFileException(images.toString(), null, "image folder not found");
        }
        if (options.human() != null && !Files.isRegularFile(options.human())) {
            throw new NoSuchFileException(options.human().toString(), null, "human annotations file not found");
        }
        JsonNode settings = json.readTree(json.writeValueAsString(settings(web, images)));
        Files.createDirectories(out);
        RunState state = open(out, settings);
        if (state.complete) {
            deleteWork(out);
            return result(state, state.nextItem, 0, 0, true);
        }
        deleteTemporaries(out);
        Files.createDirectories(out.resolve(DECISIONS));
        Files.createDirectories(out.resolve(WORK));
        long t0 = System.nanoTime();
        long[] total = {0};
        Annotations.streamPretrain(web, (i, e) -> total[0] = i + 1L); // validates every entry before any work
        if (options.human() != null) {
            Annotations.streamObjects(options.human(), (i, e) -> {});
        }
        long first = state.nextItem;
        l.started(first, total[0]);
        Pass pass = new Pass(state, images, out, l);
        Annotations.streamPretrain(web, pass::accept);
        pass.finish();
        state.items = Math.max(total[0], state.nextItem);
        state.nextItem = state.items;
        finish(out, images, state, l);
        return result(state, first, pass.processed, (System.nanoTime() - t0) / 1e9, false);
    }

    private Result result(RunState s, long first, long processed, double seconds, boolean already) {
        return new Result(
                s.items,
                s.scored,
                s.rejected,
                s.human,
                new Counts(s.texts[0], s.kept[0]),
                new Counts(s.texts[1], s.kept[1]),
                first,
                processed,
                seconds,
                already);
    }

    /** Everything the output depends on; a restart must present the same. */
    private ObjectNode settings(Path web, Path images) throws IOException {
        ObjectNode s = json.createObjectNode();
        s.put("web", web.toAbsolutePath().normalize().toString());
        s.put("web_bytes", Files.size(web));
        s.put("images", images.toAbsolutePath().normalize().toString());
        if (options.human() != null) {
            s.put("human", options.human().toAbsolutePath().normalize().toString());
            s.put("human_bytes", Files.size(options.human()));
        } else {
            s.putNull("human");
        }
        s.put("captioner", captioner.source().toAbsolutePath().normalize().toString());
        s.put("filter", filter.source().toAbsolutePath().normalize().toString());
        s.put("captions_per_image", options.captionsPerImage());
        GenerationConfig g = options.generation();
        ObjectNode d = s.putObject("decoding");
        d.put("method", g.sample() ? "nucleus" : g.numBeams() > 1 ? "beam" : "greedy");
        d.put("num_beams", g.numBeams());
        d.put("top_p", g.topP());
        d.put("top_k", g.topK());
        d.put("temperature", g.temperature());
        d.put("repetition_penalty", g.repetitionPenalty());
        d.put("no_repeat_ngram_size", g.noRepeatNgramSize());
        d.put("length_penalty", g.lengthPenalty());
        d.put("max_length", g.maxLength());
        d.put("min_length", g.minLength());
        d.put("max_new_tokens", g.maxNewTokens());
        s.put("threshold", options.threshold());
        s.put("match_token", options.matchToken().name());
        s.put("batch_size", options.batchSize());
        s.put("seed", options.seed());
        s.put("shard_size", options.shardSize());
        s.put("examples", options.examples());
        return s;
    }

    /** Reads the progress of a run in {@code out}, or starts a new one in an empty folder. */
    private RunState open(Path out, JsonNode settings) throws IOException {
        Path progress = out.resolve(PROGRESS);
        if (Files.isRegularFile(progress)) {
            JsonNode stored;
            try {
                stored = json.readTree(progress.toFile());
            } catch (IOException e) {
                throw new IOException(progress + ": unreadable (" + e.getMessage() + ")", e);
            }
            RunState s = RunState.fromJson(stored, options.examples());
            if (s.settings == null || !s.settings.equals(settings)) {
                throw new OutputConflictException(
                        out + " holds a CapFilt run with other settings (" + diff(s.settings, settings)
                                + "); rerun with the same arguments to resume it, or choose another output folder");
            }
            return s;
        }
        try (Stream<Path> entries = Files.list(out)) {
            List<Path> other = entries.filter(p -> !p.getFileName().toString().equals(PROGRESS + AtomicFiles.TMP))
                    .toList();
            if (!other.isEmpty()) {
                throw new OutputConflictException(out + " is not empty and holds no CapFilt " + PROGRESS
                        + "; choose a new or empty output folder");
            }
        }
        RunState s = new RunState(settings, options.examples());
        writeProgress(out, s);
        return s;
    }

    private static String diff(JsonNode stored, JsonNode now) {
        if (stored == null) {
            return "no settings recorded";
        }
        List<String> keys = new ArrayList<>();
        Iterator<String> it = now.fieldNames();
        while (it.hasNext()) {
            String k = it.next();
            if (!now.get(k).equals(stored.get(k))) {
                keys.add(k + ": was " + stored.get(k) + ", now " + now.get(k));
            }
        }
        stored.fieldNames().forEachRemaining(k -> {
            if (!now.has(k)) {
                keys.add(k + ": was " + stored.get(k));
            }
        });
        return keys.isEmpty() ? "format changed" : String.join("; ", keys);
    }

    private void writeProgress(Path out, RunState s) throws IOException {
        AtomicFiles.writeString(
                out.resolve(PROGRESS), json.writerWithDefaultPrettyPrinter().writeValueAsString(s.toJson(json)) + "\n");
    }

    /** Removes what a killed run was writing (any {@code *.tmp} in the output folder and below). */
    private static void deleteTemporaries(Path out) throws IOException {
        try (Stream<Path> files = Files.walk(out)) {
            for (Path p : files.filter(p -> p.getFileName().toString().endsWith(AtomicFiles.TMP))
                    .toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void deleteWork(Path out) throws IOException {
        Path work = out.resolve(WORK);
        if (!Files.isDirectory(work)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(work)) {
            for (Path p : files) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(work);
    }

    static Path decisionsPart(Path out, long shard) {
        return out.resolve(DECISIONS).resolve(String.format("part-%05d.jsonl", shard));
    }

    private static Path workPart(Path out, String kind, long shard) {
        return out.resolve(WORK).resolve(String.format("%s-%05d.jsonl", kind, shard));
    }

    /** One web item of the current batch. */
    private record Item(long index, String image, List<String> captions) {}

    /** The files of the shard being written, under temporary names until {@link #commit}. */
    private static final class Shard implements AutoCloseable {
        final long number;
        final Path[] files;
        final Writer[] writers;

        Shard(Path out, long number) throws IOException {
            this.number = number;
            this.files = new Path[] {
                decisionsPart(out, number),
                workPart(out, "web", number),
                workPart(out, "synthetic", number),
                workPart(out, "rejects", number)
            };
            this.writers = new Writer[files.length];
            for (int i = 0; i < files.length; i++) {
                writers[i] = Files.newBufferedWriter(AtomicFiles.tmp(files[i]), StandardCharsets.UTF_8);
            }
        }

        void decision(String line) throws IOException {
            writers[0].write(line);
            writers[0].write('\n');
        }

        void kept(Bootstrapper.Source source, String line) throws IOException {
            Writer w = writers[source == Bootstrapper.Source.WEB ? 1 : 2];
            w.write(line);
            w.write('\n');
        }

        void reject(String line) throws IOException {
            writers[3].write(line);
            writers[3].write('\n');
        }

        void commit() throws IOException {
            close();
            for (Path f : files) {
                AtomicFiles.commit(AtomicFiles.tmp(f), f);
            }
        }

        @Override
        public void close() throws IOException {
            for (Writer w : writers) {
                w.close();
            }
        }
    }

    /** One pass over the web file: skips committed items, batches the rest within shards, commits shard by shard. */
    private final class Pass {
        final RunState state;
        final Path images;
        final Path out;
        final Listener listener;
        final List<Item> batch = new ArrayList<>();
        Shard shard;
        long lastIndex = -1;
        long processed;

        Pass(RunState state, Path images, Path out, Listener listener) {
            this.state = state;
            this.images = images;
            this.out = out;
            this.listener = listener;
        }

        void accept(int index, Annotations.Pretrain entry) throws IOException {
            if (index < state.nextItem) {
                return; // committed by an earlier run
            }
            int size = options.shardSize();
            if (shard == null) {
                shard = new Shard(out, index / size);
            }
            batch.add(new Item(index, entry.image(), entry.captions()));
            lastIndex = index;
            boolean shardEnd = (index + 1L) % size == 0;
            if (batch.size() == options.batchSize() || shardEnd) {
                flush();
            }
            if (shardEnd) {
                commit(index + 1L);
            }
        }

        void finish() throws IOException {
            if (!batch.isEmpty()) {
                flush();
            }
            if (shard != null) {
                commit(lastIndex + 1);
            }
        }

        private void commit(long next) throws IOException {
            shard.commit();
            shard = null;
            state.nextItem = next;
            writeProgress(out, state);
            listener.checkpoint(next);
        }

        /** Reads the batch's images, captions those that decoded in one pass, scores every text, writes the rows. */
        private void flush() throws IOException {
            int n = batch.size();
            String[] errors = new String[n];
            List<RgbImage> decoded = new ArrayList<>(n);
            List<Item> ok = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Item item = batch.get(i);
                Path file = null;
                try {
                    file = images.resolve(item.image());
                    decoded.add(captioner.readImage(file));
                    ok.add(item);
                } catch (Exception e) {
                    errors[i] = describe(e, file);
                }
            }
            List<List<String>> synthetic = bootstrapper.caption(
                    decoded, ok.stream().mapToLong(Item::index).toArray());
            int k = 0;
            for (int i = 0; i < n; i++) {
                Item item = batch.get(i);
                if (errors[i] != null) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("index", item.index());
                    row.put("image", item.image());
                    row.put("error", errors[i]);
                    shard.reject(json.writeValueAsString(row));
                    state.rejected++;
                } else {
                    score(item, decoded.get(k), synthetic.get(k));
                    k++;
                }
            }
            processed += n;
            List<Item> done = List.copyOf(batch);
            batch.clear();
            for (int i = 0; i < n; i++) {
                listener.itemDone(done.get(i).index(), done.get(i).image(), errors[i]);
            }
        }

        private void score(Item item, RgbImage image, List<String> synthetic) throws IOException {
            String path = images.resolve(item.image()).toString();
            for (Bootstrapper.Decision d : bootstrapper.filter(image, item.captions(), synthetic)) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("index", item.index());
                row.put("image", item.image());
                row.put("text", d.text());
                row.put("source", d.source().label());
                row.put("itm_probability", d.itmProbability());
                row.put("kept", d.kept());
                shard.decision(json.writeValueAsString(row));
                state.count(d.source().ordinal(), d.itmProbability(), d.kept());
                if (d.kept()) {
                    Map<String, Object> entry = new LinkedHashMap<>();
                    entry.put("image", path);
                    entry.put("caption", d.text());
                    shard.kept(d.source(), json.writeValueAsString(entry));
                }
            }
            state.scored++;
            state.offerExample(exampleKey(options.seed(), item.index()), item.index());
        }
    }

    /** A one-line description of why an image could not be used, without the file name the row already gives. */
    static String describe(Exception e, Path file) {
        if (e instanceof NoSuchFileException) {
            return "file not found";
        }
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName();
        }
        m = m.lines().findFirst().orElse(m);
        String prefix = file == null ? null : file + ": ";
        return prefix != null && m.startsWith(prefix) && m.length() > prefix.length()
                ? m.substring(prefix.length())
                : m;
    }

    // ---------------------------------------------------------------- final files

    private void finish(Path out, Path images, RunState state, Listener l) throws IOException {
        long shards = (state.nextItem + options.shardSize() - 1) / options.shardSize();
        state.human = writeBootstrapped(out, shards);
        concatenate(out, "rejects", shards, out.resolve(REJECTS));
        AtomicFiles.writeString(
                out.resolve(REPORT), json.writerWithDefaultPrettyPrinter().writeValueAsString(report(state)) + "\n");
        ItmHistogramPlot.write(out.resolve(HISTOGRAM), state.histogram, options.threshold(), l::warning);
        ExamplesPage.write(
                out.resolve(EXAMPLES),
                examples(out, state),
                state,
                options.threshold(),
                p -> captioner.readImage(images.resolve(p)),
                json);
        state.complete = true;
        writeProgress(out, state);
        deleteWork(out);
    }

    /** bootstrapped.json: human annotations, then the kept web texts, then the kept synthetic ones, in item order. */
    private long writeBootstrapped(Path out, long shards) throws IOException {
        Path file = out.resolve(BOOTSTRAPPED);
        Path tmp = AtomicFiles.tmp(file);
        long[] human = {0};
        try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            long[] written = {0};
            Annotations.EntryHandler<String> add = (i, line) -> {
                w.write(written[0]++ == 0 ? "[\n" : ",\n");
                w.write(line);
            };
            if (options.human() != null) {
                Annotations.streamObjects(options.human(), (i, node) -> {
                    add.accept(i, json.writeValueAsString(node));
                    human[0]++;
                });
            }
            for (String kind : new String[] {"web", "synthetic"}) {
                for (long s = 0; s < shards; s++) {
                    try (BufferedReader r = Files.newBufferedReader(workPart(out, kind, s), StandardCharsets.UTF_8)) {
                        for (String line; (line = r.readLine()) != null; ) {
                            add.accept(0, line);
                        }
                    }
                }
            }
            w.write(written[0] == 0 ? "[]\n" : "\n]\n");
        }
        AtomicFiles.commit(tmp, file);
        return human[0];
    }

    private static void concatenate(Path out, String kind, long shards, Path file) throws IOException {
        Path tmp = AtomicFiles.tmp(file);
        try (var o = Files.newOutputStream(tmp)) {
            for (long s = 0; s < shards; s++) {
                Files.copy(workPart(out, kind, s), o);
            }
        }
        AtomicFiles.commit(tmp, file);
    }

    private ObjectNode report(RunState s) {
        ObjectNode r = json.createObjectNode();
        r.put("items", s.items);
        r.put("scored", s.scored);
        r.put("rejected", s.rejected);
        r.put("human", s.human);
        r.put("bootstrapped", s.human + s.kept[0] + s.kept[1]);
        for (int k = 0; k < 2; k++) {
            ObjectNode c = r.putObject(k == 0 ? "web" : "synthetic");
            c.put("texts", s.texts[k]);
            c.put("kept", s.kept[k]);
            c.put("removed", s.texts[k] - s.kept[k]);
        }
        ObjectNode h = r.putObject("histogram");
        var edges = h.putArray("bin_edges");
        for (int b = 0; b <= RunState.BINS; b++) {
            edges.add((double) b / RunState.BINS);
        }
        for (int k = 0; k < 2; k++) {
            var a = h.putArray(k == 0 ? "web" : "synthetic");
            for (long v : s.histogram[k]) {
                a.add(v);
            }
        }
        r.put("threshold", options.threshold());
        r.put("rule", "a text is kept when its ITM p(match) > threshold");
        r.set("settings", s.settings);
        return r;
    }

    /** The decision rows of the sampled examples, grouped by item, in item order (read back from the shards). */
    private List<ExamplesPage.Example> examples(Path out, RunState state) throws IOException {
        List<Long> wanted = state.exampleIndices();
        List<ExamplesPage.Example> result = new ArrayList<>();
        int w = 0;
        long shard = -1;
        Map<Long, ExamplesPage.Example> byIndex = new LinkedHashMap<>();
        for (long index : wanted) {
            byIndex.put(index, new ExamplesPage.Example(index, new ArrayList<>()));
        }
        while (w < wanted.size()) {
            long s = wanted.get(w) / options.shardSize();
            if (s != shard) {
                shard = s;
                try (BufferedReader r = Files.newBufferedReader(decisionsPart(out, s), StandardCharsets.UTF_8)) {
                    for (String line; (line = r.readLine()) != null; ) {
                        JsonNode row = json.readTree(line);
                        ExamplesPage.Example e = byIndex.get(row.path("index").asLong());
                        if (e != null) {
                            e.rows().add(row);
                        }
                    }
                }
            }
            w++;
        }
        result.addAll(byIndex.values());
        return result;
    }
}

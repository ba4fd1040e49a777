package org.blip4j.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.SerializableConfiguration;
import org.blip4j.Blip;
import org.blip4j.capfilt.CapFilt;
import org.blip4j.data.Annotations;
import org.blip4j.generate.GenerationConfig;
import org.blip4j.image.RgbImage;
import scala.Tuple2;

/**
 * CapFilt (BLIP paper §3.3) as a Spark job: the same per-item decisions as the single-machine {@link CapFilt} pipeline
 * (item {@code i} of the web table samples with {@link CapFilt#itemSeed}(seed, i), p(match) from the filter's ITM head,
 * kept when above the threshold), computed in index-range partitions on any cluster.
 */
final class CapFiltJob {
    /** Bins of the report's p(match) histogram, as the single-machine report. */
    static final int BINS = 20;

    static final String DECISIONS = "decisions";
    static final String REJECTS = "rejects";
    static final String BOOTSTRAPPED = "bootstrapped.jsonl";
    static final String REPORT = "report.json";

    private CapFiltJob() {}

    /**
     * A CapFilt job's settings (those of {@code blip4j capfilt}, plus the Spark ones).
     *
     * @param partitionSize the most web items per partition (a partition is also the unit a failed task redoes)
     * @param threads engine threads per task, or null for {@link Threads#perTask}
     * @param inputFormat the web table's format, or null to detect it
     */
    record Settings(
            String captioner,
            String filter,
            String web,
            String images,
            String out,
            Table.Format format,
            int captionsPerImage,
            boolean beam,
            double topP,
            int maxLength,
            int minLength,
            double threshold,
            Blip.MatchToken matchToken,
            int batchSize,
            long seed,
            int partitionSize,
            Integer threads,
            Table.Format inputFormat)
            implements Serializable {
        /** The single-machine pipeline's options for these settings (validates them, as {@code blip4j capfilt}). */
        CapFilt.Options options() {
            GenerationConfig gen = beam
                    ? GenerationConfig.beam(Math.max(3, captionsPerImage), maxLength, minLength)
                    : GenerationConfig.nucleus(topP, maxLength, minLength, 0);
            if (partitionSize < 1) {
                throw new IllegalArgumentException("partition size must be at least 1, got " + partitionSize);
            }
            return new CapFilt.Options(
                    captionsPerImage, gen, threshold, batchSize, seed, partitionSize, matchToken, 0, null);
        }
    }

    /** One web entry: its index in the web table, its image path as written, its text(s). */
    record WebItem(long index, String image, List<String> captions) implements Serializable {}

    /** What a run did; counts as the single-machine {@link CapFilt.Result}. */
    record Result(
            long items,
            long scored,
            long rejected,
            CapFilt.Counts web,
            CapFilt.Counts synthetic,
            int partitions,
            double seconds) {
        long bootstrapped() {
            return web.kept() + synthetic.kept();
        }
    }

    /** Every scored text and every rejected item, one row each (rejects have {@code error} set). */
    static final StructType RESULTS = new StructType(new StructField[] {
        DataTypes.createStructField("index", DataTypes.LongType, false),
        DataTypes.createStructField("image", DataTypes.StringType, true),
        DataTypes.createStructField("text", DataTypes.StringType, true),
        DataTypes.createStructField("source", DataTypes.StringType, true),
        DataTypes.createStructField("itm_probability", DataTypes.DoubleType, true),
        DataTypes.createStructField("kept", DataTypes.BooleanType, true),
        DataTypes.createStructField("position", DataTypes.IntegerType, true),
        DataTypes.createStructField("location", DataTypes.StringType, true),
        DataTypes.createStructField("error", DataTypes.StringType, true)
    });

    /** Runs the job: writes {@code out/decisions}, {@code out/rejects}, {@code out/bootstrapped.jsonl}, report.json. */
    static Result run(SparkSession spark, Settings s) throws IOException {
        CapFilt.Options options = s.options();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Configuration hadoop = jsc.hadoopConfiguration();
        Table web = Table.open(s.web(), s.inputFormat(), hadoop);
        Path root = new Path(s.images());
        if (!root.getFileSystem(hadoop).exists(root)) {
            throw new InputException(s.images() + ": image folder not found");
        }
        if (spark.sparkContext().isLocal()) { // executors share this JVM: load (and check) the models once, here
            ExecutorSetup.prepare(s.threads());
            new CapFilt(ModelCache.get(s.captioner(), "captioner"), ModelCache.get(s.filter(), "filter"), options);
        }
        long t0 = System.nanoTime(); // as the single-machine pipeline: input pass and models, not model loading
        Broadcast<SerializableConfiguration> conf = jsc.broadcast(new SerializableConfiguration(hadoop));
        JavaRDD<WebItem> items = webItems(spark, jsc, web, conf);
        long total = items.count(); // also validates every entry before any model work
        IndexRanges ranges = IndexRanges.of(total, s.partitionSize(), jsc.defaultParallelism());
        ImageSource images = new ImageSource(s.images(), conf);
        JavaRDD<Row> rows = items.mapToPair(w -> new Tuple2<>(w.index(), w))
                .repartitionAndSortWithinPartitions(ranges)
                .values()
                .mapPartitions(it -> score(it, s, images));
        Dataset<Row> results = spark.createDataFrame(rows, RESULTS).persist(StorageLevel.MEMORY_AND_DISK());
        try {
            Dataset<Row> decisions = results.filter(col("error").isNull());
            String fmt = s.format().sparkName();
            decisions
                    .select("index", "image", "text", "source", "itm_probability", "kept")
                    .write()
                    .mode(SaveMode.Overwrite)
                    .format(fmt)
                    .save(child(s.out(), DECISIONS));
            Dataset<Row> rejects = results.filter(col("error").isNotNull());
            rejects.select("index", "image", "error")
                    .write()
                    .mode(SaveMode.Overwrite)
                    .format(fmt)
                    .save(child(s.out(), REJECTS));
            writeBootstrapped(decisions, s.out(), hadoop);
            Summary sum = summarize(results);
            Result r = new Result(
                    total,
                    total - sum.rejected,
                    sum.rejected,
                    sum.counts[0],
                    sum.counts[1],
                    ranges.numPartitions(),
                    (System.nanoTime() - t0) / 1e9);
            writeReport(s, r, sum.histogram, hadoop);
            return r;
        } finally {
            results.unpersist();
        }
    }

    /** The web table's entries with their indices: JSON through blip4j's own streaming reader, Parquet through Spark. */
    private static JavaRDD<WebItem> webItems(
            SparkSession spark, JavaSparkContext jsc, Table web, Broadcast<SerializableConfiguration> conf)
            throws InputException {
        if (web.format() == Table.Format.PARQUET) {
            Dataset<Row> df = web.read(spark);
            StructType schema = df.schema();
            int image = web.column(schema, "image", DataTypes.StringType, null);
            int caption = captionColumn(web, schema);
            String name = web.location;
            return Table.indexed(df).map(t -> webItem(name, t._1(), t._2(), image, caption));
        }
        List<String> files = web.parts.stream().map(Table.Part::path).toList();
        // one task streams the files in order: item indices count entries across them, as in a single file
        return jsc.parallelize(List.of(0), 1).mapPartitions(ignored -> {
            PushIterator<WebItem> it = new PushIterator<>(
                    sink -> {
                        long offset = 0;
                        for (String f : files) {
                            Path p = new Path(f);
                            long[] n = {0};
                            long base = offset;
                            try (InputStream in =
                                    p.getFileSystem(conf.value().value()).open(p)) {
                                Annotations.streamPretrain(in, f, (i, e) -> {
                                    sink.accept(new WebItem(base + i, e.image(), e.captions()));
                                    n[0] = i + 1L;
                                });
                            }
                            offset += n[0];
                        }
                    },
                    1024,
                    "blip4j-web-reader");
            TaskContext tc = TaskContext.get();
            if (tc != null) {
                tc.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> it.close());
            }
            return it;
        });
    }

    private static int captionColumn(Table web, StructType schema) throws InputException {
        for (int i = 0; i < schema.fields().length; i++) {
            StructField f = schema.fields()[i];
            if (f.name().equals("caption")) {
                if (f.dataType().equals(DataTypes.StringType)
                        || f.dataType().equals(DataTypes.createArrayType(DataTypes.StringType, true))
                        || f.dataType().equals(DataTypes.createArrayType(DataTypes.StringType, false))) {
                    return i;
                }
                throw new InputException(web.location + ": column 'caption' is "
                        + f.dataType().simpleString() + ", expected a string or an array of strings");
            }
        }
        throw new InputException(
                web.location + ": no column 'caption' (columns: " + String.join(", ", schema.fieldNames()) + ")");
    }

    private static WebItem webItem(String table, long index, Row row, int image, int caption) throws InputException {
        String path = row.isNullAt(image) ? null : row.getString(image);
        if (path == null) {
            throw new InputException(table + ": row " + index + ": missing 'image'");
        }
        if (row.isNullAt(caption)) {
            throw new InputException(table + ": row " + index + ": missing 'caption'");
        }
        Object c = row.get(caption);
        List<String> texts = new ArrayList<>();
        if (c instanceof String str) {
            texts.add(str);
        } else {
            List<Object> list = row.getList(caption);
            for (Object o : list) {
                if (o == null) {
                    throw new InputException(table + ": row " + index + ": 'caption' holds a null");
                }
                texts.add((String) o);
            }
            if (texts.isEmpty()) {
                throw new InputException(table + ": row " + index + ": 'caption' needs at least 1 element(s), got 0");
            }
        }
        return new WebItem(index, path, List.copyOf(texts));
    }

    /** One partition: the single-machine pipeline's batch step (caption the decoded images, then score every text). */
    private static Iterator<Row> score(Iterator<WebItem> it, Settings s, ImageSource images) throws IOException {
        ExecutorSetup.prepare(s.threads());
        CapFilt.Options options = s.options();
        Blip captioner = ModelCache.get(s.captioner(), "captioner");
        Blip filter = ModelCache.get(s.filter(), "filter");
        new CapFilt(captioner, filter, options); // the pipeline's model checks
        Blip.CaptionOptions copts = Blip.CaptionOptions.defaults().withGeneration(options.generation());
        return new Batches<>(it, options.batchSize(), "capfilt", batch -> {
            List<RgbImage> decoded = new ArrayList<>();
            List<WebItem> ok = new ArrayList<>();
            String[] errors = new String[batch.size()];
            for (int i = 0; i < batch.size(); i++) {
                try {
                    decoded.add(images.read(captioner, batch.get(i).image()));
                    ok.add(batch.get(i));
                } catch (Exception e) {
                    errors[i] = ImageSource.describe(e);
                }
            }
            List<List<String>> synthetic = List.of();
            if (!ok.isEmpty()) {
                long[] seeds = new long[ok.size()];
                for (int k = 0; k < seeds.length; k++) {
                    seeds[k] = CapFilt.itemSeed(options.seed(), ok.get(k).index());
                }
                synthetic = captioner.captions(decoded, copts, options.captionsPerImage(), seeds);
            }
            List<Row> out = new ArrayList<>();
            int k = 0;
            for (int i = 0; i < batch.size(); i++) {
                WebItem item = batch.get(i);
                String location = images.resolve(item.image());
                if (errors[i] != null) {
                    out.add(RowFactory.create(
                            item.index(), item.image(), null, null, null, null, null, location, errors[i]));
                    continue;
                }
                List<String> texts = new ArrayList<>(item.captions());
                texts.addAll(synthetic.get(k));
                double[] p = filter.itm(decoded.get(k), texts, options.matchToken());
                k++;
                for (int j = 0; j < texts.size(); j++) {
                    CapFilt.Source source = j < item.captions().size() ? CapFilt.Source.WEB : CapFilt.Source.SYNTHETIC;
                    out.add(RowFactory.create(
                            item.index(),
                            item.image(),
                            texts.get(j),
                            source.label(),
                            p[j],
                            p[j] > options.threshold(),
                            j,
                            location,
                            null));
                }
            }
            return out;
        });
    }

    /**
     * bootstrapped.jsonl: the kept web texts in item order, then the kept synthetic captions in item order, each as
     * {@code {image, caption}} with the image's resolved location, as the single-machine bootstrapped.json without
     * its human part (list the human annotations next to it in the pre-training recipe's {@code train_file}).
     */
    private static void writeBootstrapped(Dataset<Row> decisions, String out, Configuration hadoop) throws IOException {
        String tmp = child(out, "_bootstrapped.tmp");
        Column order =
                when(col("source").equalTo(CapFilt.Source.WEB.label()), lit(0)).otherwise(lit(1));
        decisions
                .filter(col("kept"))
                .coalesce(1)
                .sortWithinPartitions(order, col("index"), col("position"))
                .select(col("location").as("image"), col("text").as("caption"))
                .write()
                .mode(SaveMode.Overwrite)
                .json(tmp);
        Path dir = new Path(tmp);
        FileSystem fs = dir.getFileSystem(hadoop);
        Path target = new Path(child(out, BOOTSTRAPPED));
        fs.delete(target, false);
        var parts = fs.globStatus(new Path(dir, "part-*"));
        if (parts == null || parts.length == 0) {
            fs.create(target, true).close(); // nothing kept
        } else if (!fs.rename(parts[0].getPath(), target)) {
            throw new IOException("cannot move " + parts[0].getPath() + " to " + target);
        }
        fs.delete(dir, true);
    }

    /** Counts per source and the p(match) histogram, from one aggregation over the results. */
    private record Summary(long rejected, CapFilt.Counts[] counts, long[][] histogram) {}

    private static Summary summarize(Dataset<Row> results) {
        Column bin = least(
                lit(BINS - 1),
                greatest(lit(0), floor(col("itm_probability").multiply(BINS)).cast("int")));
        long rejected = 0;
        long[] texts = new long[2];
        long[] kept = new long[2];
        long[][] hist = new long[2][BINS];
        for (Row r : results.groupBy(col("source"), col("kept"), bin.as("bin"))
                .count()
                .collectAsList()) {
            long n = r.getLong(3);
            if (r.isNullAt(0)) { // one row per rejected item
                rejected += n;
                continue;
            }
            int k = CapFilt.Source.WEB.label().equals(r.getString(0)) ? 0 : 1;
            texts[k] += n;
            kept[k] += r.getBoolean(1) ? n : 0;
            hist[k][r.getInt(2)] += n;
        }
        return new Summary(
                rejected,
                new CapFilt.Counts[] {new CapFilt.Counts(texts[0], kept[0]), new CapFilt.Counts(texts[1], kept[1])},
                hist);
    }

    /** report.json, written last (its presence marks a complete run); same layout as the single-machine report. */
    private static void writeReport(Settings s, Result r, long[][] hist, Configuration hadoop) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode rep = json.createObjectNode();
        rep.put("items", r.items());
        rep.put("scored", r.scored());
        rep.put("rejected", r.rejected());
        rep.put("human", 0);
        rep.put("bootstrapped", r.bootstrapped());
        CapFilt.Counts[] counts = {r.web(), r.synthetic()};
        for (int k = 0; k < 2; k++) {
            ObjectNode c = rep.putObject(k == 0 ? "web" : "synthetic");
            c.put("texts", counts[k].texts());
            c.put("kept", counts[k].kept());
            c.put("removed", counts[k].removed());
        }
        ObjectNode h = rep.putObject("histogram");
        ArrayNode edges = h.putArray("bin_edges");
        for (int b = 0; b <= BINS; b++) {
            edges.add((double) b / BINS);
        }
        for (int k = 0; k < 2; k++) {
            ArrayNode a = h.putArray(k == 0 ? "web" : "synthetic");
            for (long v : hist[k]) {
                a.add(v);
            }
        }
        rep.put("threshold", s.threshold());
        rep.put("rule", "a text is kept when its ITM p(match) > threshold");
        ObjectNode set = rep.putObject("settings");
        set.put("web", s.web());
        set.put("images", s.images());
        set.put("captioner", s.captioner());
        set.put("filter", s.filter());
        GenerationConfig g = s.options().generation();
        ObjectNode d = set.putObject("decoding");
        d.put("method", g.sample() ? "nucleus" : g.numBeams() > 1 ? "beam" : "greedy");
        d.put("num_beams", g.numBeams());
        d.put("top_p", g.topP());
        d.put("max_length", g.maxLength());
        d.put("min_length", g.minLength());
        set.put("captions_per_image", s.captionsPerImage());
        set.put("threshold", s.threshold());
        set.put("match_token", s.matchToken().name());
        set.put("batch_size", s.batchSize());
        set.put("seed", s.seed());
        set.put("partition_size", s.partitionSize());
        Path p = new Path(child(s.out(), REPORT));
        try (OutputStream o = p.getFileSystem(hadoop).create(p, true)) {
            o.write((json.writerWithDefaultPrettyPrinter().writeValueAsString(rep) + "\n")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    static String child(String dir, String name) {
        return (dir.endsWith("/") ? dir : dir + "/") + name;
    }
}

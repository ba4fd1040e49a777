package org.blip4j.spark;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * An input table: one JSON, JSON Lines or Parquet file, or a folder of them, read in a fixed row order (files by
 * name, rows in file order) so that every row has a stable index, the {@code i} its per-item seed derives from.
 */
final class Table {
    /** Table formats a job reads or writes. */
    enum Format {
        JSON,
        PARQUET;

        static Format parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "json", "jsonl", "ndjson" -> JSON;
                case "parquet" -> PARQUET;
                default -> throw new IllegalArgumentException("unknown format '" + s + "' (json or parquet)");
            };
        }

        String sparkName() {
            return this == JSON ? "json" : "parquet";
        }
    }

    /** One data file of the table and how to read it. */
    record Part(String path, Format format, boolean jsonArray) {}

    final String location;
    final List<Part> parts;
    /** The folder that holds the table (file or folder): where image paths are relative to unless told otherwise. */
    final String parent;

    private Table(String location, List<Part> parts, String parent) {
        this.location = location;
        this.parts = parts;
        this.parent = parent;
    }

    /**
     * Lists the table's files (a folder's files sorted by name, skipping names starting with {@code _} or {@code .}) and
     * decides each one's format: {@code forced} if given, else by extension ({@code .parquet}; {@code .json},
     * {@code .jsonl}, {@code .ndjson}), else by content ({@code PAR1} magic: Parquet). A JSON file whose first non-blank
     * character is {@code [} is a JSON array, any other JSON file JSON Lines.
     */
    static Table open(String location, Format forced, Configuration conf) throws IOException {
        Path path = new Path(location);
        FileSystem fs = path.getFileSystem(conf);
        if (!fs.exists(path)) {
            throw new InputException(location + ": input not found");
        }
        FileStatus status = fs.getFileStatus(path);
        List<FileStatus> files = new ArrayList<>();
        if (status.isDirectory()) {
            FileStatus[] listed = fs.listStatus(path);
            Arrays.sort(listed, Comparator.comparing(s -> s.getPath().getName()));
            for (FileStatus s : listed) {
                String n = s.getPath().getName();
                if (s.isFile() && !n.startsWith("_") && !n.startsWith(".")) {
                    files.add(s);
                }
            }
            if (files.isEmpty()) {
                throw new InputException(location + ": folder holds no data files");
            }
        } else {
            files.add(status);
        }
        List<Part> parts = new ArrayList<>();
        for (FileStatus f : files) {
            String p = status.isDirectory()
                    ? CapFiltJob.child(location, f.getPath().getName())
                    : location;
            Format format = forced != null ? forced : byName(p);
            byte[] head = head(fs, f.getPath());
            if (format == null) {
                format = head.length >= 4 && head[0] == 'P' && head[1] == 'A' && head[2] == 'R' && head[3] == '1'
                        ? Format.PARQUET
                        : Format.JSON;
            }
            String lower = p.toLowerCase(Locale.ROOT);
            boolean array = format == Format.JSON
                    && !lower.endsWith(".jsonl")
                    && !lower.endsWith(".ndjson")
                    && firstNonBlank(head) == '[';
            parts.add(new Part(p, format, array));
        }
        if (parts.stream().map(Part::format).distinct().count() > 1) {
            throw new InputException(location + ": folder mixes JSON and Parquet files; give one format per table");
        }
        Path up = fs.makeQualified(path).getParent();
        return new Table(location, List.copyOf(parts), up == null ? null : up.toString());
    }

    Format format() {
        return parts.get(0).format();
    }

    private static Format byName(String p) {
        String lower = p.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".parquet")) {
            return Format.PARQUET;
        }
        if (lower.endsWith(".json") || lower.endsWith(".jsonl") || lower.endsWith(".ndjson")) {
            return Format.JSON;
        }
        return null;
    }

    private static byte[] head(FileSystem fs, Path p) throws IOException {
        try (InputStream in = fs.open(p)) {
            return in.readNBytes(4096);
        }
    }

    private static int firstNonBlank(byte[] head) {
        boolean bom =
                head.length >= 3 && (head[0] & 0xff) == 0xEF && (head[1] & 0xff) == 0xBB && (head[2] & 0xff) == 0xBF;
        int i = bom ? 3 : 0;
        for (; i < head.length; i++) {
            byte b = head[i];
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return b;
            }
        }
        return -1;
    }

    /**
     * The table as a DataFrame: all files with one schema (inferred over all of them), concatenated in name order. Each
     * file keeps its row order (Spark reads one file's splits in offset order), so row order is the file order.
     */
    Dataset<Row> read(SparkSession spark) throws InputException {
        Dataset<Row> all =
                reader(spark, parts.get(0)).load(parts.stream().map(Part::path).toArray(String[]::new));
        StructType schema = all.schema();
        if (Arrays.asList(schema.fieldNames()).contains(CORRUPT)) {
            throw new InputException(location + ": not a table of JSON objects" + corruptExample(all));
        }
        if (parts.size() == 1) {
            return all;
        }
        Dataset<Row> union = null;
        for (Part p : parts) {
            Dataset<Row> one = reader(spark, p).schema(schema).load(p.path());
            union = union == null ? one : union.union(one);
        }
        return union;
    }

    /** The column Spark's JSON reader adds for text that is not a JSON object. */
    private static final String CORRUPT = "_corrupt_record";

    private static String corruptExample(Dataset<Row> df) {
        Dataset<Row> cached = df.cache(); // Spark refuses queries of the corrupt-record column alone on the raw file
        try {
            List<Row> bad = cached.filter(cached.col(CORRUPT).isNotNull())
                    .select(CORRUPT)
                    .limit(1)
                    .collectAsList();
            if (bad.isEmpty()) {
                return "";
            }
            String text = bad.get(0).getString(0).strip();
            return " (e.g. " + (text.length() > 80 ? text.substring(0, 80) + "…" : text) + ")";
        } catch (RuntimeException e) {
            return "";
        } finally {
            cached.unpersist();
        }
    }

    private static org.apache.spark.sql.DataFrameReader reader(SparkSession spark, Part p) {
        var r = spark.read().format(p.format().sparkName());
        return p.format() == Format.JSON ? r.option("multiLine", p.jsonArray()).option("mode", "PERMISSIVE") : r;
    }

    /** Rows keyed by their index in the table (0-based, files by name, rows in file order). */
    static JavaPairRDD<Long, Row> indexed(Dataset<Row> df) {
        return df.javaRDD().zipWithIndex().mapToPair(t -> new Tuple2<>(t._2(), t._1()));
    }

    /** The position of a required column of the given type, or an error naming the table, the column and the choices. */
    int column(StructType schema, String name, DataType type, String option) throws InputException {
        StructField[] fields = schema.fields();
        for (int i = 0; i < fields.length; i++) {
            if (fields[i].name().equals(name)) {
                if (!fields[i].dataType().equals(type)) {
                    throw new InputException(location + ": column '" + name + "' is "
                            + fields[i].dataType().simpleString() + ", expected " + type.simpleString());
                }
                return i;
            }
        }
        throw new InputException(location + ": no column '" + name + "' (columns: "
                + String.join(", ", schema.fieldNames()) + ")" + (option == null ? "" : "; choose one with " + option));
    }
}

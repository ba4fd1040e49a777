package org.blip4j.spark;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.blip4j.Blip;
import org.blip4j.image.RgbImage;
import scala.Tuple2;

/**
 * Adds the normalised ITC embedding ({@link Blip#imageEmbeddings} or {@link Blip#textEmbeddings}) of each row's image
 * or text to a table, for a retrieval index.
 */
final class EmbedJob {
    private EmbedJob() {}

    /**
     * @param textColumn the column of texts to embed; null to embed the images of {@code imageColumn}
     * @param column the name of the new embedding column
     */
    record Settings(
            String model,
            String input,
            String images,
            String out,
            Table.Format format,
            Table.Format inputFormat,
            String imageColumn,
            String textColumn,
            String column,
            int batchSize,
            int partitionSize,
            Integer threads)
            implements Serializable {}

    /** Runs the job; returns the number of rows written. */
    static long run(SparkSession spark, Settings s) throws IOException {
        if (s.batchSize() < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + s.batchSize());
        }
        TableJob.Input in = TableJob.open(spark, s.input(), s.inputFormat());
        boolean texts = s.textColumn() != null;
        int col = texts
                ? in.table().column(in.schema(), s.textColumn(), DataTypes.StringType, "--text-column")
                : in.table().column(in.schema(), s.imageColumn(), DataTypes.StringType, "--image-column");
        StructType out = TableJob.extend(
                in,
                "--column",
                DataTypes.createStructField(s.column(), DataTypes.createArrayType(DataTypes.FloatType, false), true),
                DataTypes.createStructField("error", DataTypes.StringType, true));
        String root = s.images() != null ? s.images() : in.table().parent;
        if (spark.sparkContext().isLocal()) {
            ExecutorSetup.prepare(s.threads());
            ModelCache.get(s.model(), "model");
        }
        ImageSource images = new ImageSource(root, in.hadoop());
        return TableJob.run(
                spark, in, out, s.out(), s.format(), s.partitionSize(), rows -> embed(rows, s, col, texts, images));
    }

    private static Iterator<Row> embed(
            Iterator<Tuple2<Long, Row>> rows, Settings s, int col, boolean texts, ImageSource images)
            throws IOException {
        ExecutorSetup.prepare(s.threads());
        Blip blip = ModelCache.get(s.model(), "model");
        return new Batches<>(rows, s.batchSize(), "embed", batch -> {
            String[] errors = new String[batch.size()];
            List<RgbImage> decoded = new ArrayList<>();
            List<String> strings = new ArrayList<>();
            for (int i = 0; i < batch.size(); i++) {
                Row r = batch.get(i)._2();
                if (r.isNullAt(col)) {
                    errors[i] = texts ? "no text" : "no image path";
                } else if (texts) {
                    strings.add(r.getString(col));
                } else {
                    try {
                        decoded.add(images.read(blip, r.getString(col)));
                    } catch (Exception e) {
                        errors[i] = ImageSource.describe(e);
                    }
                }
            }
            float[][] e = texts
                    ? (strings.isEmpty() ? new float[0][] : blip.textEmbeddings(strings))
                    : (decoded.isEmpty() ? new float[0][] : blip.imageEmbeddings(decoded));
            List<Row> out = new ArrayList<>(batch.size());
            int k = 0;
            for (int i = 0; i < batch.size(); i++) {
                Row r = batch.get(i)._2();
                out.add(RowFactory.create(TableJob.with(r, errors[i] == null ? e[k++] : null, errors[i])));
            }
            return out;
        });
    }
}

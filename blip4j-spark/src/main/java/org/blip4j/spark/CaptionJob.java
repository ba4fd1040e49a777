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
import org.blip4j.capfilt.CapFilt;
import org.blip4j.generate.GenerationConfig;
import org.blip4j.image.RgbImage;
import scala.Tuple2;

/**
 * Captions every image of a table as {@link Blip#captions} does (beam 3, max 30, min 10 by default; nucleus sampling
 * with row {@code i}'s seed {@link CapFilt#itemSeed}(seed, i)), adding a caption column and an error column.
 */
final class CaptionJob {
    private CaptionJob() {}

    /**
     * @param images folder relative image paths resolve against (null: the input table's folder)
     * @param column the name of the new caption column
     */
    record Settings(
            String model,
            String input,
            String images,
            String out,
            Table.Format format,
            Table.Format inputFormat,
            String imageColumn,
            String column,
            int beams,
            boolean sample,
            double topP,
            long seed,
            int maxLength,
            int minLength,
            Double repetitionPenalty,
            String prefix,
            int batchSize,
            int partitionSize,
            Integer threads)
            implements Serializable {
        Blip.CaptionOptions options() {
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
            }
            GenerationConfig gen = sample
                    ? GenerationConfig.nucleus(topP, maxLength, minLength, seed)
                    : GenerationConfig.beam(beams, maxLength, minLength);
            if (repetitionPenalty != null) {
                gen = gen.withRepetitionPenalty(repetitionPenalty);
            }
            Blip.CaptionOptions o = Blip.CaptionOptions.defaults().withGeneration(gen);
            return prefix != null ? o.withPrefix(prefix) : o;
        }
    }

    /** Runs the job; returns the number of rows written. */
    static long run(SparkSession spark, Settings s) throws IOException {
        s.options();
        TableJob.Input in = TableJob.open(spark, s.input(), s.inputFormat());
        int col = in.table().column(in.schema(), s.imageColumn(), DataTypes.StringType, "--image-column");
        StructType out = TableJob.extend(
                in,
                "--column",
                DataTypes.createStructField(s.column(), DataTypes.StringType, true),
                DataTypes.createStructField("error", DataTypes.StringType, true));
        String root = s.images() != null ? s.images() : in.table().parent;
        if (spark.sparkContext().isLocal()) {
            ExecutorSetup.prepare(s.threads());
            ModelCache.get(s.model(), "model");
        }
        ImageSource images = new ImageSource(root, in.hadoop());
        return TableJob.run(
                spark, in, out, s.out(), s.format(), s.partitionSize(), rows -> caption(rows, s, col, images));
    }

    private static Iterator<Row> caption(Iterator<Tuple2<Long, Row>> rows, Settings s, int col, ImageSource images)
            throws IOException {
        ExecutorSetup.prepare(s.threads());
        Blip blip = ModelCache.get(s.model(), "model");
        Blip.CaptionOptions opts = s.options();
        boolean sample = opts.generation().sample();
        return new Batches<>(rows, s.batchSize(), "caption", batch -> {
            String[] errors = new String[batch.size()];
            List<RgbImage> decoded = new ArrayList<>();
            List<Long> indices = new ArrayList<>();
            for (int i = 0; i < batch.size(); i++) {
                Row r = batch.get(i)._2();
                if (r.isNullAt(col)) {
                    errors[i] = "no image path";
                    continue;
                }
                try {
                    decoded.add(images.read(blip, r.getString(col)));
                    indices.add(batch.get(i)._1());
                } catch (Exception e) {
                    errors[i] = ImageSource.describe(e);
                }
            }
            List<List<String>> captions = List.of();
            if (!decoded.isEmpty()) {
                long[] seeds = null;
                if (sample) {
                    seeds = new long[decoded.size()];
                    for (int k = 0; k < seeds.length; k++) {
                        seeds[k] = CapFilt.itemSeed(s.seed(), indices.get(k));
                    }
                }
                captions = blip.captions(decoded, opts, 1, seeds);
            }
            List<Row> out = new ArrayList<>(batch.size());
            int k = 0;
            for (int i = 0; i < batch.size(); i++) {
                Row r = batch.get(i)._2();
                String caption = errors[i] == null ? captions.get(k++).get(0) : null;
                out.add(RowFactory.create(TableJob.with(r, caption, errors[i])));
            }
            return out;
        });
    }
}

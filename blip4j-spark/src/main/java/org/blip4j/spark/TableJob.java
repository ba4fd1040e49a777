package org.blip4j.spark;

import java.io.IOException;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;
import scala.Tuple2;

/**
 * The frame of the per-row jobs ({@code caption}, {@code embed}): the input table in its row order, cut into
 * index-range partitions, each row written back with its columns plus the job's new ones.
 */
final class TableJob {
    private TableJob() {}

    /** Computes the output rows of one partition from its (index, input row) pairs, in index order. */
    @FunctionalInterface
    interface Rows extends Serializable {
        Iterator<Row> apply(Iterator<Tuple2<Long, Row>> rows) throws Exception;
    }

    /** The opened input: its table, its rows and the Hadoop configuration broadcast to executors. */
    record Input(Table table, Dataset<Row> rows, Broadcast<SerializableConfiguration> hadoop) {
        StructType schema() {
            return rows.schema();
        }
    }

    static Input open(SparkSession spark, String location, Table.Format format) throws IOException {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Table t = Table.open(location, format, jsc.hadoopConfiguration());
        return new Input(t, t.read(spark), jsc.broadcast(new SerializableConfiguration(jsc.hadoopConfiguration())));
    }

    /** The input schema with the new columns appended; a name the input already has is refused. */
    static StructType extend(Input in, String option, StructField... added) throws InputException {
        for (StructField f : added) {
            if (Arrays.asList(in.schema().fieldNames()).contains(f.name())) {
                throw new InputException(in.table().location + ": already has a column '" + f.name() + "'"
                        + (option == null ? "" : "; name the new column with " + option));
            }
        }
        StructType out = in.schema();
        for (StructField f : added) {
            out = out.add(f);
        }
        return out;
    }

    /** Runs the job and writes its table to {@code out} (replacing an earlier run); returns the number of rows. */
    static long run(
            SparkSession spark,
            Input in,
            StructType outSchema,
            String out,
            Table.Format format,
            int partitionSize,
            Rows rows) {
        if (partitionSize < 1) {
            throw new IllegalArgumentException("partition size must be at least 1, got " + partitionSize);
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        long count = in.rows().count();
        IndexRanges ranges = IndexRanges.of(count, partitionSize, jsc.defaultParallelism());
        FlatMapFunction<Iterator<Tuple2<Long, Row>>, Row> f = rows::apply;
        JavaRDD<Row> result = Table.indexed(in.rows())
                .repartitionAndSortWithinPartitions(ranges)
                .mapPartitions(f);
        spark.createDataFrame(result, outSchema)
                .write()
                .mode(SaveMode.Overwrite)
                .format(format.sparkName())
                .save(out);
        return count;
    }

    /** The input row's values followed by {@code added}. */
    static Object[] with(Row row, Object... added) {
        Object[] v = new Object[row.size() + added.length];
        for (int i = 0; i < row.size(); i++) {
            v[i] = row.get(i);
        }
        System.arraycopy(added, 0, v, row.size(), added.length);
        return v;
    }
}

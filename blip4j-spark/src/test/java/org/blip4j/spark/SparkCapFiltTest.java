package org.blip4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.blip4j.Blip;
import org.blip4j.capfilt.CapFilt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark CapFilt job on the fixture, in local mode with up to 4 attempts per task: its decisions equal the
 * single-machine pipeline's for JSON, JSON Lines and Parquet web tables, and a run with an injected task failure, or a
 * rerun into the same folder, writes exactly the output of a clean run.
 */
class SparkCapFiltTest {
    @TempDir
    static Path tmp;

    static SparkSession spark;
    static Path images;
    static Path webJson;
    static Path single;
    static Path clean;

    @BeforeAll
    static void setUp() throws Exception {
        images = SparkFixture.images(tmp.resolve("images"));
        webJson = SparkFixture.writeArray(tmp.resolve("web.json"), SparkFixture.web());
        spark = SparkFixture.session("local[2,4]");
        clean = tmp.resolve("spark-clean");
        CapFiltJob.run(spark, settings(webJson, clean, 3, 4));
        single = tmp.resolve("single");
        try (Blip captioner = Blip.load(SparkFixture.captioner());
                Blip filter = Blip.load(SparkFixture.filter())) {
            CapFilt.Options opts = CapFilt.Options.defaults()
                    .withCaptionsPerImage(2)
                    .withBatchSize(3)
                    .withShardSize(4)
                    .withSeed(7)
                    .withExamples(0)
                    .withMatchToken(Blip.MatchToken.CLS);
            new CapFilt(captioner, filter, opts).run(webJson, images, single, null);
        }
    }

    @AfterAll
    static void tearDown() {
        System.clearProperty(Batches.FAIL_FIRST_ATTEMPT);
        spark.stop();
    }

    static CapFiltJob.Settings settings(Path web, Path out, int batch, int partitionSize) {
        return new CapFiltJob.Settings(
                SparkFixture.captioner().toString(),
                SparkFixture.filter().toString(),
                web.toString(),
                images.toString(),
                out.toString(),
                Table.Format.JSON,
                2,
                false,
                0.9,
                30,
                10,
                0.5,
                Blip.MatchToken.CLS,
                batch,
                7,
                partitionSize,
                null,
                null);
    }

    static List<JsonNode> singleDecisions() throws Exception {
        List<JsonNode> rows = new ArrayList<>();
        try (Stream<Path> parts = Files.list(single.resolve(CapFilt.DECISIONS))) {
            for (Path f : parts.sorted().toList()) {
                for (String line : Files.readAllLines(f)) {
                    rows.add(SparkFixture.JSON.readTree(line));
                }
            }
        }
        return rows;
    }

    /** Every decision row equal, in order: same items, texts (so the same sampled captions), sources, decisions. */
    static void assertSameDecisions(List<JsonNode> expected, List<JsonNode> actual) {
        assertEquals(expected.size(), actual.size(), "decision rows");
        double maxDiff = 0;
        for (int i = 0; i < expected.size(); i++) {
            JsonNode e = expected.get(i);
            JsonNode a = actual.get(i);
            String where = "row " + i + " (item " + e.path("index").asLong() + ")";
            assertEquals(e.path("index").asLong(), a.path("index").asLong(), where);
            assertEquals(e.path("image").asText(), a.path("image").asText(), where);
            assertEquals(e.path("text").asText(), a.path("text").asText(), where);
            assertEquals(e.path("source").asText(), a.path("source").asText(), where);
            assertEquals(e.path("kept").asBoolean(), a.path("kept").asBoolean(), where);
            double d = Math.abs(e.path("itm_probability").asDouble()
                    - a.path("itm_probability").asDouble());
            assertTrue(d <= 1e-6, where + ": p(match) differs by " + d);
            maxDiff = Math.max(maxDiff, d);
        }
        System.out.println("SPARK capfilt: " + actual.size() + " decisions equal, max |dp| = " + maxDiff);
    }

    @Test
    void decisionsRejectsAndBootstrappedEqualTheSingleMachinePipeline() throws Exception {
        List<JsonNode> expected = singleDecisions();
        assertSameDecisions(expected, SparkFixture.rows(clean.resolve(CapFiltJob.DECISIONS)));
        assertTrue(expected.stream().anyMatch(r -> r.path("kept").asBoolean()), "something kept");
        assertTrue(expected.stream().anyMatch(r -> !r.path("kept").asBoolean()), "something removed");

        List<String> singleRejects = Files.readAllLines(single.resolve(CapFilt.REJECTS));
        List<JsonNode> rejects = SparkFixture.rows(clean.resolve(CapFiltJob.REJECTS));
        assertEquals(2, rejects.size());
        for (int i = 0; i < rejects.size(); i++) {
            JsonNode e = SparkFixture.JSON.readTree(singleRejects.get(i));
            assertEquals(e, rejects.get(i), "reject " + i);
        }
        assertEquals(
                List.of(SparkFixture.MISSING, SparkFixture.CORRUPT),
                rejects.stream().map(r -> r.path("index").asLong()).toList());

        JsonNode boot =
                SparkFixture.JSON.readTree(single.resolve(CapFilt.BOOTSTRAPPED).toFile());
        List<String> lines = Files.readAllLines(clean.resolve(CapFiltJob.BOOTSTRAPPED));
        assertEquals(boot.size(), lines.size(), "bootstrapped entries");
        for (int i = 0; i < lines.size(); i++) {
            assertEquals(boot.get(i), SparkFixture.JSON.readTree(lines.get(i)), "bootstrapped entry " + i);
        }

        JsonNode a = SparkFixture.JSON.readTree(single.resolve(CapFilt.REPORT).toFile());
        JsonNode b = SparkFixture.JSON.readTree(clean.resolve(CapFiltJob.REPORT).toFile());
        for (String k :
                List.of("items", "scored", "rejected", "bootstrapped", "web", "synthetic", "histogram", "threshold")) {
            assertEquals(a.get(k), b.get(k), "report " + k);
        }
    }

    @Test
    void jsonLinesAndParquetWebTablesGiveTheSameDecisionsWhateverTheBatching() throws Exception {
        List<JsonNode> expected = singleDecisions();
        Path lines = SparkFixture.writeLines(tmp.resolve("web.jsonl"), SparkFixture.web());
        Path out = tmp.resolve("spark-jsonl");
        CapFiltJob.Result r = CapFiltJob.run(spark, settings(lines, out, 5, 7));
        assertEquals(3, r.partitions());
        assertSameDecisions(expected, SparkFixture.rows(out.resolve(CapFiltJob.DECISIONS)));

        // the same table as Parquet, captions as lists of strings, in two files read in name order
        StructType schema = new StructType()
                .add("image", DataTypes.StringType)
                .add("caption", DataTypes.createArrayType(DataTypes.StringType));
        List<Row> rows = new ArrayList<>();
        for (JsonNode e : SparkFixture.web()) {
            List<String> caps = new ArrayList<>();
            if (e.get("caption").isArray()) {
                e.get("caption").forEach(c -> caps.add(c.asText()));
            } else {
                caps.add(e.get("caption").asText());
            }
            rows.add(RowFactory.create(e.get("image").asText(), caps.toArray(new String[0])));
        }
        Path table = tmp.resolve("web-parquet");
        Files.createDirectories(table);
        spark.createDataFrame(rows.subList(0, 10), schema)
                .coalesce(1)
                .write()
                .parquet(tmp.resolve("p0").toString());
        spark.createDataFrame(rows.subList(10, rows.size()), schema)
                .coalesce(1)
                .write()
                .parquet(tmp.resolve("p1").toString());
        for (String p : List.of("p0", "p1")) {
            try (Stream<Path> files = Files.list(tmp.resolve(p))) {
                Path part = files.filter(f -> f.getFileName().toString().endsWith(".parquet"))
                        .findFirst()
                        .orElseThrow();
                Files.copy(part, table.resolve(p + ".parquet"));
            }
        }
        Path outParquet = tmp.resolve("spark-parquet");
        CapFiltJob.run(spark, settings(table, outParquet, 4, 1000));
        assertSameDecisions(expected, SparkFixture.rows(outParquet.resolve(CapFiltJob.DECISIONS)));
    }

    @Test
    void aRerunWithAnInjectedTaskFailureWritesExactlyTheCleanOutput() throws Exception {
        AtomicInteger failed = new AtomicInteger();
        SparkListener listener = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (!end.taskInfo().successful()) {
                    failed.incrementAndGet();
                }
            }
        };
        spark.sparkContext().addSparkListener(listener);
        Path out = tmp.resolve("spark-failure");
        // an earlier run's leftovers: the rerun replaces them (overwrite), so the job is idempotent
        Files.createDirectories(out.resolve(CapFiltJob.DECISIONS));
        Files.writeString(out.resolve(CapFiltJob.DECISIONS).resolve("part-99999-stale.json"), "{\"index\": 99}\n");
        Files.writeString(out.resolve(CapFiltJob.BOOTSTRAPPED), "stale\n");
        try {
            System.setProperty(Batches.FAIL_FIRST_ATTEMPT, "capfilt");
            CapFiltJob.run(spark, settings(webJson, out, 3, 4));
        } finally {
            System.clearProperty(Batches.FAIL_FIRST_ATTEMPT);
            spark.sparkContext().listenerBus().waitUntilEmpty();
            spark.sparkContext().removeSparkListener(listener);
        }
        assertEquals(1, failed.get(), "one task attempt failed and was retried");
        assertSameOutput(clean, out);
    }

    static void assertSameOutput(Path expected, Path actual) throws Exception {
        for (String dir : List.of(CapFiltJob.DECISIONS, CapFiltJob.REJECTS)) {
            assertEquals(SparkFixture.text(expected.resolve(dir)), SparkFixture.text(actual.resolve(dir)), dir);
            assertEquals(parts(expected.resolve(dir)), parts(actual.resolve(dir)), dir + " part files");
        }
        for (String file : List.of(CapFiltJob.BOOTSTRAPPED, CapFiltJob.REPORT)) {
            String e = Files.readString(expected.resolve(file));
            String a = Files.readString(actual.resolve(file));
            if (file.equals(CapFiltJob.REPORT)) { // the settings name the output folder
                e = e.replace(expected.toString(), "OUT");
                a = a.replace(actual.toString(), "OUT");
            }
            assertEquals(e, a, file);
        }
        try (Stream<Path> top = Files.list(actual)) {
            assertFalse(top.anyMatch(p -> p.getFileName().toString().startsWith("_bootstrapped")), "no temporary left");
        }
    }

    private static long parts(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith("part-"))
                    .count();
        }
    }
}

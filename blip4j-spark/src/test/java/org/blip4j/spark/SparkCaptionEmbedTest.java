package org.blip4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.blip4j.Blip;
import org.blip4j.capfilt.CapFilt;
import org.blip4j.generate.GenerationConfig;
import org.blip4j.image.RgbImage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The caption and embed jobs in local mode, through the command line: captions equal {@link Blip#captions} (beam and
 * seeded sampling), embeddings equal {@link Blip#imageEmbeddings} / {@link Blip#textEmbeddings} within 1e-6, input
 * columns and row order are kept, unreadable images become error rows, and bad inputs get one clear message.
 */
class SparkCaptionEmbedTest {
    @TempDir
    static Path tmp;

    static SparkSession spark;
    static Path photos;
    static List<String> paths = new ArrayList<>();
    static Blip captioner;
    static Blip itm;

    @BeforeAll
    static void setUp() throws Exception {
        SparkFixture.images(tmp.resolve("images"));
        List<String> names = SparkFixture.imageNames();
        ArrayNode rows = SparkFixture.JSON.createArrayNode();
        List<String> order = List.of(
                names.get(0), names.get(1), "missing.png", names.get(2), "corrupt.png", names.get(1), names.get(0));
        for (int i = 0; i < order.size(); i++) {
            paths.add("images/" + order.get(i));
            rows.addObject().put("id", 100 + i).put("image", "images/" + order.get(i));
        }
        photos = SparkFixture.writeLines(tmp.resolve("photos.jsonl"), rows); // image paths relative to its folder
        spark = SparkFixture.session("local[2]");
        captioner = Blip.load(SparkFixture.captioner());
        itm = Blip.load(SparkFixture.filter());
    }

    @AfterAll
    static void tearDown() {
        spark.stop();
    }

    static int cli(StringWriter out, StringWriter err, String... args) {
        int code = SparkMain.run(args, new PrintWriter(out), new PrintWriter(err));
        System.out.print(out);
        System.out.print(err);
        return code;
    }

    static RgbImage image(int row) throws Exception {
        return captioner.readImage(tmp.resolve(paths.get(row)));
    }

    static boolean readable(int row) {
        return !paths.get(row).contains("missing") && !paths.get(row).contains("corrupt");
    }

    @Test
    void captionsEqualBlipCaptionsRowByRow() throws Exception {
        Path out = tmp.resolve("captions");
        StringWriter o = new StringWriter();
        int code = cli(
                o,
                new StringWriter(),
                "caption",
                "--model",
                SparkFixture.captioner().toString(),
                "--input",
                photos.toString(),
                "--out",
                out.toString(),
                "--format",
                "json",
                "--batch-size",
                "2",
                "--partition-size",
                "3");
        assertEquals(1, code, "two images cannot be read");
        assertTrue(o.toString().contains("7 rows, 5 captioned, 2 failed"), o.toString());
        List<JsonNode> rows = SparkFixture.rows(out);
        assertEquals(paths.size(), rows.size());
        for (int i = 0; i < rows.size(); i++) {
            JsonNode r = rows.get(i);
            assertEquals(100 + i, r.path("id").asInt(), "input columns and order kept");
            assertEquals(paths.get(i), r.path("image").asText());
            if (readable(i)) {
                String expected = captioner
                        .captions(List.of(image(i)), Blip.CaptionOptions.defaults(), 1)
                        .get(0)
                        .get(0);
                assertEquals(expected, r.path("caption").asText(), "row " + i);
                assertTrue(r.path("error").isMissingNode(), "row " + i);
            } else {
                assertTrue(r.path("caption").isMissingNode(), "row " + i);
                assertTrue(
                        r.path("error").asText().contains(paths.get(i).contains("missing") ? "file not found" : "PNG"),
                        r.path("error").asText());
            }
        }
    }

    @Test
    void sampledCaptionsUseEachRowsOwnSeed() throws Exception {
        Path out = tmp.resolve("sampled");
        CaptionJob.run(
                spark,
                new CaptionJob.Settings(
                        SparkFixture.captioner().toString(),
                        photos.toString(),
                        null,
                        out.toString(),
                        Table.Format.JSON,
                        null,
                        "image",
                        "caption",
                        3,
                        true,
                        0.9,
                        5,
                        30,
                        10,
                        null,
                        null,
                        4,
                        1000,
                        null));
        List<JsonNode> rows = SparkFixture.rows(out);
        GenerationConfig g = GenerationConfig.nucleus(0.9, 30, 10, 0);
        for (int i = 0; i < rows.size(); i++) {
            if (readable(i)) {
                var opts = Blip.CaptionOptions.defaults().withGeneration(g.withSeed(CapFilt.itemSeed(5, i)));
                assertEquals(
                        captioner.captions(List.of(image(i)), opts, 1).get(0).get(0),
                        rows.get(i).path("caption").asText(),
                        "row " + i);
            }
        }
    }

    @Test
    void imageAndTextEmbeddingsEqualTheLibrarysWithin1e6AndModelsLoadOncePerJvm() throws Exception {
        Path out = tmp.resolve("image-embeddings");
        StringWriter o = new StringWriter();
        assertEquals(
                1,
                cli(
                        o,
                        new StringWriter(),
                        "embed",
                        "-m",
                        SparkFixture.filter().toString(),
                        "--input",
                        photos.toString(),
                        "--out",
                        out.toString(),
                        "--batch-size",
                        "3"));
        int loads = ModelCache.loads();
        List<Row> rows = new ArrayList<>(spark.read().parquet(out.toString()).collectAsList());
        rows.sort(Comparator.comparingLong(r -> r.getLong(r.fieldIndex("id"))));
        double max = 0;
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            if (!readable(i)) {
                assertTrue(r.isNullAt(r.fieldIndex("embedding")));
                continue;
            }
            assertNull(r.get(r.fieldIndex("error")));
            float[] expected = itm.imageEmbeddings(List.of(image(i)))[0];
            List<Float> actual = r.getList(r.fieldIndex("embedding"));
            assertEquals(expected.length, actual.size());
            for (int k = 0; k < expected.length; k++) {
                max = Math.max(max, Math.abs(expected[k] - actual.get(k)));
            }
        }
        System.out.println("SPARK embed: image max |diff| = " + max);
        assertTrue(max <= 1e-6, "image embeddings differ by " + max);

        ArrayNode texts = SparkFixture.JSON.createArrayNode();
        List<String> captions = SparkFixture.captions();
        for (String c : captions) {
            texts.addObject().put("text", c);
        }
        texts.addObject().put("text", "a much longer text than the others, so that the batch is padded");
        Path table = SparkFixture.writeArray(tmp.resolve("texts.json"), texts);
        Path textOut = tmp.resolve("text-embeddings");
        assertEquals(
                0,
                cli(
                        new StringWriter(),
                        new StringWriter(),
                        "embed",
                        "-m",
                        SparkFixture.filter().toString(),
                        "--input",
                        table.toString(),
                        "--text-column",
                        "text",
                        "--out",
                        textOut.toString(),
                        "--format",
                        "json"));
        List<JsonNode> trows = SparkFixture.rows(textOut);
        assertEquals(texts.size(), trows.size());
        max = 0;
        for (int i = 0; i < trows.size(); i++) {
            assertEquals(
                    texts.get(i).get("text").asText(), trows.get(i).path("text").asText());
            float[] expected =
                    itm.textEmbeddings(List.of(texts.get(i).get("text").asText()))[0];
            JsonNode actual = trows.get(i).path("embedding");
            for (int k = 0; k < expected.length; k++) {
                max = Math.max(max, Math.abs(expected[k] - actual.get(k).floatValue()));
            }
        }
        System.out.println("SPARK embed: text max |diff| = " + max);
        assertTrue(max <= 1e-6, "text embeddings differ by " + max);
        assertEquals(loads, ModelCache.loads(), "the second job reuses the loaded model");
    }

    @Test
    void badInputsGetOneClearMessage() throws Exception {
        String model = SparkFixture.captioner().toString();
        String out = tmp.resolve("never").toString();
        StringWriter err = new StringWriter();
        assertEquals(
                1,
                cli(
                        new StringWriter(),
                        err,
                        "caption",
                        "-m",
                        model,
                        "--input",
                        tmp.resolve("nope.jsonl").toString(),
                        "--out",
                        out));
        assertEquals(
                "blip4j-spark: " + tmp.resolve("nope.jsonl") + ": input not found",
                err.toString().trim());

        err = new StringWriter();
        assertEquals(
                1,
                cli(
                        new StringWriter(),
                        err,
                        "caption",
                        "-m",
                        model,
                        "--input",
                        photos.toString(),
                        "--image-column",
                        "picture",
                        "--out",
                        out));
        assertEquals(
                "blip4j-spark: " + photos + ": no column 'picture' (columns: id, image); choose one with "
                        + "--image-column",
                err.toString().trim());

        err = new StringWriter();
        assertEquals(
                1,
                cli(
                        new StringWriter(),
                        err,
                        "caption",
                        "-m",
                        tmp.resolve("no-model").toString(),
                        "--input",
                        photos.toString(),
                        "--out",
                        out));
        assertTrue(err.toString().startsWith("blip4j-spark: model " + tmp.resolve("no-model") + ": "), err.toString());
        assertTrue(err.toString().contains("not found") && !err.toString().contains("\tat "), err.toString());

        err = new StringWriter();
        assertEquals(
                1,
                cli(
                        new StringWriter(),
                        err,
                        "embed",
                        "-m",
                        model,
                        "--input",
                        photos.toString(),
                        "--column",
                        "id",
                        "--out",
                        out));
        assertTrue(
                err.toString().contains("already has a column 'id'; name the new column with --column"),
                err.toString());

        err = new StringWriter();
        assertEquals(
                2,
                cli(
                        new StringWriter(),
                        err,
                        "caption",
                        "-m",
                        model,
                        "--input",
                        photos.toString(),
                        "--out",
                        out,
                        "--format",
                        "csv"));
        assertTrue(err.toString().contains("unknown format 'csv'"), err.toString());

        err = new StringWriter();
        Path notJson = tmp.resolve("not-json.jsonl");
        java.nio.file.Files.writeString(notJson, "{\"image\": \"images/a.png\"}\nimages/b.png\n");
        assertEquals(
                1, cli(new StringWriter(), err, "embed", "-m", model, "--input", notJson.toString(), "--out", out));
        assertEquals(
                "blip4j-spark: " + notJson + ": not a table of JSON objects (e.g. images/b.png)",
                err.toString().trim());

        err = new StringWriter();
        Path badWeb = tmp.resolve("bad-web.jsonl");
        java.nio.file.Files.writeString(badWeb, "{\"image\": \"a.png\", \"caption\": \"x\"}\n{\"caption\": \"y\"}\n");
        assertEquals(
                1,
                cli(
                        new StringWriter(),
                        err,
                        "capfilt",
                        "--captioner",
                        model,
                        "--filter",
                        SparkFixture.filter().toString(),
                        "--web",
                        badWeb.toString(),
                        "--images",
                        tmp.resolve("images").toString(),
                        "--out",
                        out));
        assertEquals(
                "blip4j-spark: " + badWeb + ": entry 1 (line 2): missing key 'image'",
                err.toString().trim());
        assertTrue(err.toString().lines().count() == 1, "one line, no stack trace");
    }
}

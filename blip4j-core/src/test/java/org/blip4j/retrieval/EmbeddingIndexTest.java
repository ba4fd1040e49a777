package org.blip4j.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The on-disk embedding index: format, reopen, crash recovery, and exact top-k against brute force. */
class EmbeddingIndexTest {
    @TempDir
    Path tmp;

    static float[] unit(Random rnd, int dim) {
        float[] v = new float[dim];
        double ss = 0;
        for (int i = 0; i < dim; i++) {
            v[i] = (float) rnd.nextGaussian();
            ss += (double) v[i] * v[i];
        }
        for (int i = 0; i < dim; i++) {
            v[i] = (float) (v[i] / Math.sqrt(ss));
        }
        return v;
    }

    static List<float[]> vectors(long seed, int n, int dim) {
        Random rnd = new Random(seed);
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(unit(rnd, dim));
        }
        return out;
    }

    /** Brute force in double precision: rows sorted by cosine desc, then row asc. */
    static int[] bruteForce(List<float[]> rows, float[] q, int k) {
        double[] s = scores(rows, q);
        return IntStream.range(0, rows.size())
                .boxed()
                .sorted(Comparator.<Integer>comparingDouble(r -> -s[r]).thenComparingInt(r -> r))
                .limit(k)
                .mapToInt(Integer::intValue)
                .toArray();
    }

    static double[] scores(List<float[]> rows, float[] q) {
        double[] s = new double[rows.size()];
        for (int r = 0; r < rows.size(); r++) {
            double d = 0;
            for (int j = 0; j < q.length; j++) {
                d += (double) rows.get(r)[j] * q[j];
            }
            s[r] = d;
        }
        return s;
    }

    /**
     * The search's top k equals the brute-force top k: same row at every rank, except that two rows whose exact scores
     * differ by less than float32 rounding of a dot product (1e-6) may trade places. Scores within 1e-6 of exact.
     */
    static void assertTopK(List<float[]> rows, float[] q, int k, List<EmbeddingIndex.Hit> hits, String what) {
        double[] exact = scores(rows, q);
        int[] expect = bruteForce(rows, q, k);
        assertEquals(Math.min(k, rows.size()), hits.size(), what + ": count");
        java.util.Set<Integer> got = new java.util.HashSet<>();
        for (int i = 0; i < hits.size(); i++) {
            EmbeddingIndex.Hit h = hits.get(i);
            assertTrue(got.add(h.row()), what + ": row " + h.row() + " twice");
            assertEquals(exact[h.row()], h.score(), 1e-6, what + ": score of row " + h.row());
            if (h.row() != expect[i]) {
                assertEquals(
                        exact[expect[i]],
                        exact[h.row()],
                        1e-6,
                        what + ": rank " + i + " expected row " + expect[i] + " got " + h.row());
            }
        }
    }

    /** The rows as stored (normalised by the index). */
    static List<float[]> stored(EmbeddingIndex idx) {
        return IntStream.range(0, idx.size()).mapToObj(idx::vector).toList();
    }

    @Test
    void createAppendReopenSearchGiveTheSameResults() throws IOException {
        Path dir = tmp.resolve("idx");
        int dim = 19; // not a multiple of the unroll width
        List<float[]> v = vectors(1, 40, dim);
        List<String> ids = IntStream.range(0, 40)
                .mapToObj(i -> "img-" + i + (i % 7 == 0 ? "\\odd\nname" : ""))
                .toList();
        List<EmbeddingIndex.Hit> before;
        float[] q = unit(new Random(99), dim);
        try (EmbeddingIndex idx = EmbeddingIndex.create(dir, dim, EmbeddingIndex.Kind.IMAGE)) {
            assertEquals(0, idx.size());
            assertEquals(dim, idx.dim());
            assertTrue(idx.search(q, 5).isEmpty());
            assertEquals(0, idx.append(ids.get(0), v.get(0)));
            assertEquals(1, idx.append(ids.subList(1, 25), v.subList(1, 25)));
            assertEquals(25, idx.search(q, 100).size()); // sees rows appended after the first search (remap)
            idx.append(ids.subList(25, 40), v.subList(25, 40));
            assertEquals(40, idx.size());
            before = idx.search(q, 10);
        }
        assertTrue(EmbeddingIndex.exists(dir));
        assertThrows(IOException.class, () -> EmbeddingIndex.create(dir, dim));
        try (EmbeddingIndex idx = EmbeddingIndex.openReadOnly(dir)) {
            assertEquals(40, idx.size());
            assertEquals(EmbeddingIndex.Kind.IMAGE, idx.kind());
            assertEquals(before, idx.search(q, 10));
            assertTopK(stored(idx), EmbeddingIndex.normalize(q), 10, before, "reopened");
            for (int i = 0; i < 40; i++) {
                assertEquals(ids.get(i), idx.id(i));
                assertEquals(i, idx.rowOf(ids.get(i)));
                assertArrayEquals(v.get(i), idx.vector(i), 1e-6f);
            }
            assertFalse(idx.contains("nope"));
            assertThrows(IllegalStateException.class, () -> idx.append("x", v.get(0)));
        }
        try (EmbeddingIndex idx = EmbeddingIndex.openOrCreate(dir, dim, EmbeddingIndex.Kind.IMAGE)) {
            assertThrows(IOException.class, () -> EmbeddingIndex.open(dir), "second writer");
            idx.append("late", v.get(3));
            assertEquals(41, idx.size());
            assertEquals(3, idx.search(v.get(3), 1).get(0).row()); // equal scores: the lower row first
            assertEquals(40, idx.search(v.get(3), 2).get(1).row());
        }
        assertThrows(IOException.class, () -> EmbeddingIndex.openOrCreate(dir, dim + 1, EmbeddingIndex.Kind.IMAGE));
        assertThrows(IOException.class, () -> EmbeddingIndex.openOrCreate(dir, dim, EmbeddingIndex.Kind.TEXT));
    }

    @Test
    void theMeanVectorIsTheMeanOfTheStoredUnitRows() throws IOException {
        int dim = 7;
        try (EmbeddingIndex idx = EmbeddingIndex.create(tmp.resolve("mean"), dim, EmbeddingIndex.Kind.IMAGE)) {
            assertArrayEquals(new float[dim], idx.meanVector(), "an empty index: zeros");
            float[] a = {3, 0, 0, 0, 0, 0, 4}; // stored as (0.6, 0, …, 0.8)
            float[] b = {0, 2, 0, 0, 0, 0, 0}; // stored as (0, 1, 0, …)
            idx.append(List.of("a", "b"), List.of(a, b));
            assertArrayEquals(new float[] {0.3f, 0.5f, 0, 0, 0, 0, 0.4f}, idx.meanVector(), 1e-6f);
        }
    }

    @Test
    void inputsAreValidatedAndNormalised() throws IOException {
        try (EmbeddingIndex idx = EmbeddingIndex.create(tmp.resolve("v"), 3)) {
            assertThrows(IllegalArgumentException.class, () -> idx.append("a", new float[2]));
            assertThrows(IllegalArgumentException.class, () -> idx.append("a", new float[3]));
            assertThrows(IllegalArgumentException.class, () -> idx.append("a", new float[] {1, Float.NaN, 0}));
            idx.append("a", new float[] {3, 0, 4});
            assertArrayEquals(new float[] {0.6f, 0, 0.8f}, idx.vector(0), 1e-7f);
            assertEquals(1.0f, idx.search(new float[] {30, 0, 40}, 1).get(0).score(), 1e-6f);
            assertThrows(IllegalArgumentException.class, () -> idx.search(new float[] {1, 0}, 1));
        }
        Path bad = tmp.resolve("bad");
        Files.createDirectories(bad);
        Files.write(bad.resolve(EmbeddingIndex.VECTORS), new byte[64]);
        Files.write(bad.resolve(EmbeddingIndex.IDS), new byte[0]);
        IOException e = assertThrows(IOException.class, () -> EmbeddingIndex.open(bad));
        assertTrue(e.getMessage().contains("bad magic"), e.getMessage());
        assertThrows(IOException.class, () -> EmbeddingIndex.open(tmp.resolve("missing")));
    }

    @Test
    void tornRowIsDroppedOnOpenAndAppendsContinue() throws IOException {
        Path dir = tmp.resolve("crash");
        int dim = 8;
        List<float[]> v = vectors(2, 8, dim);
        try (EmbeddingIndex idx = EmbeddingIndex.create(dir, dim)) {
            for (int i = 0; i < 5; i++) {
                idx.append("r" + i, v.get(i));
            }
        }
        long rowBytes = 4L * dim;
        Path data = dir.resolve(EmbeddingIndex.VECTORS);
        // the crash: the last row only half written (header still says 5)
        try (FileChannel c = FileChannel.open(data, StandardOpenOption.WRITE)) {
            c.truncate(EmbeddingIndex.HEADER_BYTES + 4 * rowBytes + rowBytes / 2);
        }
        try (EmbeddingIndex ro = EmbeddingIndex.openReadOnly(dir)) {
            assertEquals(4, ro.size());
        }
        try (EmbeddingIndex idx = EmbeddingIndex.open(dir)) {
            assertEquals(4, idx.size());
            assertFalse(idx.contains("r4"));
            assertEquals(EmbeddingIndex.HEADER_BYTES + 4 * rowBytes, Files.size(data));
            assertEquals(4, Files.readAllLines(dir.resolve(EmbeddingIndex.IDS)).size());
            assertEquals(4, headerCount(data));
            idx.append(List.of("r5", "r6"), v.subList(5, 7));
        }
        try (EmbeddingIndex idx = EmbeddingIndex.open(dir)) {
            assertEquals(6, idx.size());
            assertEquals(
                    List.of("r0", "r1", "r2", "r3", "r5", "r6"),
                    IntStream.range(0, 6).mapToObj(idx::id).toList());
            assertArrayEquals(v.get(6), idx.vector(5), 1e-6f);
            assertEquals(5, idx.search(v.get(6), 1).get(0).row());
        }
    }

    @Test
    void uncommittedRowsAndTornIdLinesAreDropped() throws IOException {
        Path dir = tmp.resolve("crash2");
        int dim = 4;
        List<float[]> v = vectors(3, 4, dim);
        try (EmbeddingIndex idx = EmbeddingIndex.create(dir, dim)) {
            idx.append(List.of("a", "b", "c"), v.subList(0, 3));
        }
        Path data = dir.resolve(EmbeddingIndex.VECTORS);
        Path ids = dir.resolve(EmbeddingIndex.IDS);
        // crash after the row and half an id line were written, before the header commit
        ByteBuffer row = ByteBuffer.allocate(4 * dim).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v.get(3)) {
            row.putFloat(x);
        }
        row.flip();
        try (FileChannel c = FileChannel.open(data, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            c.write(row);
        }
        Files.write(ids, "d-torn".getBytes(), StandardOpenOption.APPEND);
        try (EmbeddingIndex idx = EmbeddingIndex.open(dir)) {
            assertEquals(3, idx.size());
            assertEquals("a\nb\nc\n", Files.readString(ids));
            idx.append("d", v.get(3));
        }
        // header commit lost although row and id were complete: still uncommitted, dropped
        try (FileChannel c = FileChannel.open(data, StandardOpenOption.WRITE)) {
            c.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 2), 16);
        }
        try (EmbeddingIndex idx = EmbeddingIndex.open(dir)) {
            assertEquals(2, idx.size());
            assertEquals("a\nb\n", Files.readString(ids));
        }
    }

    @Test
    void aCreateInterruptedBeforeItsHeaderCanBeRedone() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("half"));
        Files.write(dir.resolve(EmbeddingIndex.IDS), new byte[0]);
        Files.write(dir.resolve(EmbeddingIndex.VECTORS + ".tmp"), new byte[10]);
        assertFalse(EmbeddingIndex.exists(dir));
        try (EmbeddingIndex idx = EmbeddingIndex.openOrCreate(dir, 4, EmbeddingIndex.Kind.TEXT)) {
            idx.append("t", new float[] {1, 0, 0, 0});
        }
        try (EmbeddingIndex idx = EmbeddingIndex.openReadOnly(dir)) {
            assertEquals(1, idx.size());
            assertEquals(EmbeddingIndex.Kind.TEXT, idx.kind());
        }
    }

    @Test
    void tenThousandRandomVectorsGiveTheBruteForceTopK() throws IOException {
        int dim = 32;
        int n = 10_000;
        List<float[]> v = vectors(7, n, dim);
        try (EmbeddingIndex idx = EmbeddingIndex.create(tmp.resolve("big"), dim).durable(false)) {
            List<String> ids = IntStream.range(0, n).mapToObj(i -> "v" + i).toList();
            idx.append(ids.subList(0, 6000), v.subList(0, 6000));
            idx.append(ids.subList(6000, n), v.subList(6000, n));
            List<float[]> rows = stored(idx);
            Random rnd = new Random(11);
            for (int t = 0; t < 20; t++) {
                float[] q = unit(rnd, dim);
                int k = t == 0 ? n : 1 + rnd.nextInt(300);
                List<EmbeddingIndex.Hit> hits = idx.search(q, k);
                assertTopK(rows, EmbeddingIndex.normalize(q), k, hits, "query " + t);
                for (EmbeddingIndex.Hit h : hits) {
                    assertEquals("v" + h.row(), h.id());
                }
            }
        }
    }

    @Test
    void rowsSpreadOverSeveralMappingsSearchLikeOne() throws IOException {
        int dim = 24;
        int n = 1000;
        List<float[]> v = vectors(5, n, dim);
        Path dir = tmp.resolve("segments");
        try (EmbeddingIndex idx = EmbeddingIndex.create(dir, dim).durable(false)) {
            idx.append(IntStream.range(0, n).mapToObj(i -> "s" + i).toList(), v);
        }
        long segmentBytes = 4L * dim * 97; // 97 rows per mapping: 11 segments, the last one partial
        try (EmbeddingIndex one = EmbeddingIndex.openReadOnly(dir);
                EmbeddingIndex many = EmbeddingIndex.open(dir, true, segmentBytes)) {
            Random rnd = new Random(3);
            for (int t = 0; t < 5; t++) {
                float[] q = unit(rnd, dim);
                List<EmbeddingIndex.Hit> a = one.search(q, 50);
                assertEquals(a, many.search(q, 50));
                assertTopK(stored(one), EmbeddingIndex.normalize(q), 50, a, "segments");
            }
            many.append("extra", v.get(0)); // grows the last partial mapping
            assertArrayEquals(many.vector(0), many.vector(n), 0f);
            assertEquals(
                    List.of(0, n),
                    many.search(v.get(0), 2).stream()
                            .map(EmbeddingIndex.Hit::row)
                            .toList());
        }
    }

    static long headerCount(Path data) throws IOException {
        try (FileChannel c = FileChannel.open(data, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            c.read(b, 16);
            return b.getLong(0);
        }
    }
}

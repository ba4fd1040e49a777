package org.blip4j.retrieval;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.blip4j.engine.T;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * An append-only, memory-mapped on-disk index of L2-normalised embeddings (BLIP's ITC features) with one id per row,
 * searched by cosine similarity.
 *
 * <h2>Files</h2>
 * An index is a directory holding two files:
 * <ul>
 *   <li>{@code vectors.f32}: a 64-byte little-endian header, then {@code count} rows of {@code dim} float32
 *       (little-endian, row-major, row {@code r} at byte {@code 64 + r * dim * 4}). Header: bytes 0–7 magic
 *       {@code "BLIP4JIX"}; 8–11 int32 format version (1); 12–15 int32 {@code dim}; 16–23 int64 {@code count}, the
 *       number of committed rows; 24–27 int32 kind (0 any, 1 image, 2 text); 28–63 zero.</li>
 *   <li>{@code ids.txt}: UTF-8, one id per committed row, each line ending in {@code \n}; a backslash, newline or
 *       carriage return inside an id is written as {@code \\}, {@code \n}, {@code \r}.</li>
 * </ul>
 *
 * <h2>Crash safety</h2>
 * An append writes the rows, then the id lines, forces both to disk, and only then writes the new {@code count} into
 * the header (and forces it). On open the committed count is {@code min(header count, whole rows in vectors.f32,
 * complete lines in ids.txt)}: a torn last row, a torn last id line, or rows written after the last committed header
 * are dropped. A writable open truncates such leftovers away and rewrites the header, so appends continue cleanly.
 *
 * <h2>Memory and search</h2>
 * Rows stay on disk: they are memory-mapped in segments of at most 1 GiB. {@link #search} hands the mapped floats to
 * libtorch as they are (no copy) for one matrix–vector product per segment, then selects the top k in Java. Ids are
 * kept on the heap (one string per row) for look-ups.
 *
 * <p>Thread-safety: searches may run concurrently with each other and with one appending thread (a search sees the
 * rows committed when it started). One writable instance per index at a time (enforced by a file lock).
 */
public final class EmbeddingIndex implements AutoCloseable {
    /** Name of the vector file inside the index directory. */
    public static final String VECTORS = "vectors.f32";
    /** Name of the id file inside the index directory. */
    public static final String IDS = "ids.txt";
    /** Current file-format version. */
    public static final int VERSION = 1;
    /** Bytes before the first row. */
    public static final int HEADER_BYTES = 64;

    static final byte[] MAGIC = "BLIP4JIX".getBytes(StandardCharsets.US_ASCII);
    static final int MAX_DIM = 1 << 16;
    /** Largest mapping: rows never straddle two segments. */
    static final long SEGMENT_BYTES = 1L << 30;

    /** What the rows embed; recorded so images and texts are not mixed up. */
    public enum Kind {
        ANY,
        IMAGE,
        TEXT
    }

    /** One search result: the row number, its id and its cosine similarity to the query. */
    public record Hit(int row, String id, float score) {}

    private final Path dir;
    private final FileChannel vectors;
    private final FileChannel idsFile;
    private final FileLock lock;
    private final boolean writable;
    private final int dim;
    private final Kind kind;
    private final int rowsPerSegment;
    private final List<String> ids;
    private final Map<String, Integer> rowOfId;
    private long idsEnd;
    private volatile int count;
    private volatile Mapping mapping = new Mapping(new FloatBuffer[0], 0);
    private boolean durable = true;
    private boolean closed;

    private EmbeddingIndex(
            Path dir,
            FileChannel vectors,
            FileChannel idsFile,
            FileLock lock,
            boolean writable,
            int dim,
            Kind kind,
            int count,
            List<String> ids,
            long idsEnd,
            long segmentBytes) {
        this.dir = dir;
        this.vectors = vectors;
        this.idsFile = idsFile;
        this.lock = lock;
        this.writable = writable;
        this.dim = dim;
        this.kind = kind;
        this.rowsPerSegment = (int) Math.max(1, Math.min(Integer.MAX_VALUE, segmentBytes / (4L * dim)));
        this.ids = Collections.synchronizedList(new ArrayList<>(ids));
        this.rowOfId = new HashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            rowOfId.putIfAbsent(ids.get(i), i);
        }
        this.idsEnd = idsEnd;
        this.count = count;
    }

    // ---------------------------------------------------------------- create / open

    /** Creates an empty index of any kind in {@code dir} (created if needed; must not hold an index yet). */
    public static EmbeddingIndex create(Path dir, int dim) throws IOException {
        return create(dir, dim, Kind.ANY);
    }

    /** Creates an empty index in {@code dir} (created if needed; must not hold an index yet). */
    public static EmbeddingIndex create(Path dir, int dim, Kind kind) throws IOException {
        if (dim < 1 || dim > MAX_DIM) {
            throw new IllegalArgumentException("embedding dim must be in 1.." + MAX_DIM + ", got " + dim);
        }
        Files.createDirectories(dir);
        Path v = dir.resolve(VECTORS);
        Path i = dir.resolve(IDS);
        if (!Files.exists(v) && Files.isRegularFile(i) && Files.size(i) == 0) {
            Files.delete(i); // left by a create that crashed before its header was in place
        }
        if (Files.exists(v) || Files.exists(i)) {
            throw new FileAlreadyExistsException(dir + ": already holds an index");
        }
        // ids first, header last: a crash in between leaves no vectors file, i.e. no index
        try (FileChannel c = FileChannel.open(i, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            c.force(true);
        }
        Path tmp = dir.resolve(VECTORS + ".tmp");
        try (FileChannel c = FileChannel.open(
                tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            writeFully(c, header(dim, 0, kind), 0);
            c.force(true);
        }
        Files.move(tmp, v, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return open(dir);
    }

    /** Opens an index for searching and appending (repairs a torn tail left by a crash). */
    public static EmbeddingIndex open(Path dir) throws IOException {
        return open(dir, true);
    }

    /** Opens an index for searching only: nothing on disk is changed, and it may be open in other processes. */
    public static EmbeddingIndex openReadOnly(Path dir) throws IOException {
        return open(dir, false);
    }

    /** True when {@code dir} holds an index (its vector file exists). */
    public static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(VECTORS));
    }

    /**
     * Opens the index in {@code dir} for appending, or creates it; an existing index must have the same dim, and the
     * same kind unless either is {@link Kind#ANY}.
     */
    public static EmbeddingIndex openOrCreate(Path dir, int dim, Kind kind) throws IOException {
        if (!exists(dir)) {
            return create(dir, dim, kind);
        }
        EmbeddingIndex idx = open(dir);
        try {
            idx.requireCompatible(dim, kind);
            return idx;
        } catch (IOException | RuntimeException e) {
            idx.close();
            throw e;
        }
    }

    /** Throws an {@link IOException} naming the index when its dim or kind differ from what the caller expects. */
    public void requireCompatible(int expectedDim, Kind expectedKind) throws IOException {
        if (dim != expectedDim) {
            throw new IOException(dir + ": index holds " + dim + "-d embeddings but the model makes " + expectedDim
                    + "-d ones (built with another model?)");
        }
        if (kind != Kind.ANY && expectedKind != Kind.ANY && kind != expectedKind) {
            throw new IOException(dir + ": index holds " + kind.name().toLowerCase() + " embeddings, not "
                    + expectedKind.name().toLowerCase() + " embeddings");
        }
    }

    private static EmbeddingIndex open(Path dir, boolean writable) throws IOException {
        return open(dir, writable, SEGMENT_BYTES);
    }

    /** With a chosen mapping size (tests use tiny segments to cover rows spread over several mappings). */
    static EmbeddingIndex open(Path dir, boolean writable, long segmentBytes) throws IOException {
        Path v = dir.resolve(VECTORS);
        Path i = dir.resolve(IDS);
        if (!Files.isRegularFile(v)) {
            throw new NoSuchFileException(v.toString(), null, "no index here (missing " + VECTORS + ")");
        }
        if (!Files.isRegularFile(i)) {
            throw new NoSuchFileException(i.toString(), null, "index is missing its id file");
        }
        StandardOpenOption[] mode = writable
                ? new StandardOpenOption[] {StandardOpenOption.READ, StandardOpenOption.WRITE}
                : new StandardOpenOption[] {StandardOpenOption.READ};
        FileChannel vc = FileChannel.open(v, mode);
        FileChannel ic = null;
        FileLock lock = null;
        try {
            if (writable) {
                try {
                    lock = vc.tryLock();
                } catch (OverlappingFileLockException e) {
                    lock = null;
                }
                if (lock == null) {
                    throw new IOException(dir + ": index is already open for writing");
                }
            }
            ic = FileChannel.open(i, mode);
            ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            if (vc.size() < HEADER_BYTES || vc.read(h, 0) < HEADER_BYTES) {
                throw new IOException(v + ": not a blip4j index (file shorter than its header)");
            }
            h.flip();
            byte[] magic = new byte[MAGIC.length];
            h.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new IOException(v + ": not a blip4j index (bad magic)");
            }
            int version = h.getInt(8);
            if (version != VERSION) {
                throw new IOException(
                        v + ": index format version " + version + " is not supported (this is " + VERSION + ")");
            }
            int dim = h.getInt(12);
            long headerCount = h.getLong(16);
            int kindCode = h.getInt(24);
            if (dim < 1 || dim > MAX_DIM || headerCount < 0 || kindCode < 0 || kindCode >= Kind.values().length) {
                throw new IOException(v + ": corrupt index header (dim " + dim + ", count " + headerCount + ", kind "
                        + kindCode + ")");
            }
            long rowBytes = 4L * dim;
            long wholeRows = (vc.size() - HEADER_BYTES) / rowBytes;
            IdLines lines = readIds(ic, i);
            long committed = Math.min(headerCount, Math.min(wholeRows, lines.ids.size()));
            if (committed > Integer.MAX_VALUE) {
                throw new IOException(v + ": more rows than this version supports");
            }
            int n = (int) committed;
            long idsEnd = n == 0 ? 0 : lines.ends.get(n - 1);
            if (writable) {
                long dataEnd = HEADER_BYTES + n * rowBytes;
                if (vc.size() != dataEnd) {
                    vc.truncate(dataEnd);
                    vc.force(true);
                }
                if (ic.size() != idsEnd) {
                    ic.truncate(idsEnd);
                    ic.force(true);
                }
                if (headerCount != n) {
                    writeCount(vc, n);
                    vc.force(true);
                }
            }
            EmbeddingIndex idx = new EmbeddingIndex(
                    dir,
                    vc,
                    ic,
                    lock,
                    writable,
                    dim,
                    Kind.values()[kindCode],
                    n,
                    lines.ids.subList(0, n),
                    idsEnd,
                    segmentBytes);
            idx.mapUpTo(n);
            return idx;
        } catch (IOException | RuntimeException e) {
            if (lock != null) {
                lock.release();
            }
            vc.close();
            if (ic != null) {
                ic.close();
            }
            throw e;
        }
    }

    private record IdLines(List<String> ids, List<Long> ends) {}

    /** Complete lines only; a last line without its newline is a torn write. */
    private static IdLines readIds(FileChannel c, Path file) throws IOException {
        long size = c.size();
        if (size > Integer.MAX_VALUE - 16) {
            throw new IOException(file + ": id file too large");
        }
        ByteBuffer b = ByteBuffer.allocate((int) size);
        while (b.hasRemaining()) {
            if (c.read(b, b.position()) < 0) {
                break;
            }
        }
        byte[] a = b.array();
        List<String> ids = new ArrayList<>();
        List<Long> ends = new ArrayList<>();
        int start = 0;
        for (int p = 0; p < b.position(); p++) {
            if (a[p] == '\n') {
                ids.add(unescape(new String(a, start, p - start, StandardCharsets.UTF_8)));
                ends.add((long) p + 1);
                start = p + 1;
            }
        }
        return new IdLines(ids, ends);
    }

    // ---------------------------------------------------------------- appending

    /**
     * When true (the default) every append is forced to disk before the header commits it; false trades crash safety
     * of the latest appends for speed (the file stays consistent either way, see the class notes).
     */
    public EmbeddingIndex durable(boolean forceToDisk) {
        this.durable = forceToDisk;
        return this;
    }

    /** Appends one row; the vector is L2-normalised before it is stored. Returns its row number. */
    public int append(String id, float[] vector) throws IOException {
        return append(List.of(id), List.of(vector));
    }

    /**
     * Appends rows in one commit (all or none survive a crash); vectors are L2-normalised before they are stored. Ids
     * may repeat (use {@link #contains} to skip known ones). Returns the first new row number.
     */
    public synchronized int append(List<String> newIds, List<float[]> vecs) throws IOException {
        ensureOpen();
        if (!writable) {
            throw new IllegalStateException(dir + ": index was opened read-only");
        }
        if (newIds.size() != vecs.size()) {
            throw new IllegalArgumentException(newIds.size() + " ids for " + vecs.size() + " vectors");
        }
        int n = newIds.size();
        int first = count;
        if (n == 0) {
            return first;
        }
        if ((long) first + n > Integer.MAX_VALUE) {
            throw new IllegalStateException(dir + ": index full");
        }
        ByteBuffer rows = ByteBuffer.allocate(Math.multiplyExact(n, 4 * dim)).order(ByteOrder.LITTLE_ENDIAN);
        ByteArrayOutputStream lines = new ByteArrayOutputStream();
        for (int r = 0; r < n; r++) {
            String id = newIds.get(r);
            if (id == null) {
                throw new IllegalArgumentException("null id");
            }
            for (float x : normalized(vecs.get(r), "vector for " + id)) {
                rows.putFloat(x);
            }
            lines.writeBytes((escape(id) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        rows.flip();
        byte[] idBytes = lines.toByteArray();
        writeFully(vectors, rows, HEADER_BYTES + (long) first * 4 * dim);
        writeFully(idsFile, ByteBuffer.wrap(idBytes), idsEnd);
        if (durable) {
            vectors.force(false);
            idsFile.force(false);
        }
        writeCount(vectors, first + n);
        if (durable) {
            vectors.force(false);
        }
        idsEnd += idBytes.length;
        for (int r = 0; r < n; r++) {
            ids.add(newIds.get(r));
            synchronized (rowOfId) {
                rowOfId.putIfAbsent(newIds.get(r), first + r);
            }
        }
        count = first + n;
        return first;
    }

    // ---------------------------------------------------------------- reading

    public int size() {
        return count;
    }

    public int dim() {
        return dim;
    }

    public Kind kind() {
        return kind;
    }

    public Path directory() {
        return dir;
    }

    public String id(int row) {
        checkRow(row);
        return ids.get(row);
    }

    /** True when some row has this id. */
    public boolean contains(String id) {
        return rowOf(id) >= 0;
    }

    /** The first row with this id, or -1. */
    public int rowOf(String id) {
        synchronized (rowOfId) {
            Integer r = rowOfId.get(id);
            return r == null ? -1 : r;
        }
    }

    /** A copy of one stored (normalised) row. */
    public float[] vector(int row) {
        checkRow(row);
        FloatBuffer[] segs = mapped();
        float[] out = new float[dim];
        segs[row / rowsPerSegment].get((row % rowsPerSegment) * dim, out, 0, dim);
        return out;
    }

    /**
     * The mean of the stored (unit) vectors, {@code dim} zeros for an empty index: for an image index, the gallery
     * centre that {@link Retriever#centredOn} subtracts.
     */
    public float[] meanVector() {
        ensureOpen();
        double[] sum = new double[dim];
        int n = count;
        for (int r = 0; r < n; r++) {
            float[] v = vector(r);
            for (int j = 0; j < dim; j++) {
                sum[j] += v[j];
            }
        }
        float[] out = new float[dim];
        for (int j = 0; j < dim && n > 0; j++) {
            out[j] = (float) (sum[j] / n);
        }
        return out;
    }

    /**
     * The k rows most similar to {@code query} (cosine: the query is L2-normalised, rows are), best first; ties go to
     * the lower row. Fewer than k when the index is smaller.
     */
    public List<Hit> search(float[] query, int k) {
        ensureOpen();
        if (k < 0) {
            throw new IllegalArgumentException("k must be >= 0, got " + k);
        }
        float[] q = normalized(query, "query");
        int n = count;
        FloatBuffer[] segs = mapped();
        TopK.Sorted best = scan(segs, rowsPerSegment, dim, n, q, Math.min(k, n));
        List<Hit> hits = new ArrayList<>(best.rows().length);
        for (int i = 0; i < best.rows().length; i++) {
            int r = best.rows()[i];
            hits.add(new Hit(r, ids.get(r), best.scores()[i]));
        }
        return hits;
    }

    /**
     * Scores rows [0, n) against a normalised query with one libtorch matrix–vector product per mapped segment (the
     * mapped floats are wrapped, not copied), then keeps the best k in Java so ties order by row.
     */
    static TopK.Sorted scan(FloatBuffer[] segs, int rowsPerSegment, int dim, int n, float[] q, int k) {
        TopK top = new TopK(k);
        if (n == 0 || k == 0) {
            return top.drain();
        }
        try (PointerScope scope = new PointerScope();
                NoGradGuard g = new NoGradGuard()) {
            Tensor qt = T.floats(q, dim); // (E)
            Tensor scores = torch.empty(new long[] {n}, T.options(torch.ScalarType.Float), new MemoryFormatOptional());
            for (int s = 0; (long) s * rowsPerSegment < n; s++) {
                int rows = (int) Math.min(rowsPerSegment, n - (long) s * rowsPerSegment);
                Tensor m = torch.from_blob(
                        new FloatPointer(segs[s]),
                        new long[] {rows, dim},
                        T.options(torch.ScalarType.Float)); // (rows, E) over the mapping
                torch.mv_out(scores.narrow(0, (long) s * rowsPerSegment, rows), m, qt);
            }
            FloatBuffer sc = scores.data_ptr_float().capacity(n).asBuffer();
            for (int r = 0; r < n; r++) {
                float x = sc.get(r);
                if (x >= top.threshold()) { // ties are decided inside (lower row wins)
                    top.offer(x, r);
                }
            }
        } finally {
            Reference.reachabilityFence(segs); // the mappings must outlive the native reads
        }
        return top.drain();
    }

    // ---------------------------------------------------------------- mapping

    /** Mapped segments and how many rows they cover; replaced as a whole when rows are added. */
    private record Mapping(FloatBuffer[] segments, int rows) {}

    /** The mapped segments covering at least the rows committed now. */
    private FloatBuffer[] mapped() {
        Mapping m = mapping;
        if (m.rows() >= count) {
            return m.segments();
        }
        try {
            return mapUpTo(count).segments();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(dir + ": cannot map index rows", e);
        }
    }

    /** (Re)maps the last partial segment and any new ones so that rows [0, n) are readable. */
    private synchronized Mapping mapUpTo(int n) throws IOException {
        Mapping m = mapping;
        if (n <= m.rows()) {
            return m;
        }
        int nSegs = (n + rowsPerSegment - 1) / rowsPerSegment;
        FloatBuffer[] segs = Arrays.copyOf(m.segments(), nSegs);
        int firstToMap = m.rows() / rowsPerSegment; // a partially mapped segment is mapped again, larger
        for (int s = firstToMap; s < nSegs; s++) {
            long rowsHere = Math.min(rowsPerSegment, n - (long) s * rowsPerSegment);
            long pos = HEADER_BYTES + (long) s * rowsPerSegment * 4 * dim;
            segs[s] = vectors.map(FileChannel.MapMode.READ_ONLY, pos, rowsHere * 4 * dim)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .asFloatBuffer();
        }
        mapping = new Mapping(segs, n);
        return mapping;
    }

    // ---------------------------------------------------------------- helpers

    private void checkRow(int row) {
        if (row < 0 || row >= count) {
            throw new IndexOutOfBoundsException("row " + row + " of " + count);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(dir + ": index is closed");
        }
    }

    private float[] normalized(float[] v, String what) {
        if (v == null || v.length != dim) {
            throw new IllegalArgumentException(
                    what + ": expected " + dim + " values, got " + (v == null ? "null" : v.length));
        }
        return normalize(v, what);
    }

    /** v / ||v|| (norm in double precision), as stored rows and queries are. */
    static float[] normalize(float[] v) {
        return normalize(v, "vector");
    }

    private static float[] normalize(float[] v, String what) {
        int dim = v.length;
        double ss = 0;
        for (float x : v) {
            if (!Float.isFinite(x)) {
                throw new IllegalArgumentException(what + ": non-finite value " + x);
            }
            ss += (double) x * x;
        }
        if (ss == 0) {
            throw new IllegalArgumentException(what + ": zero vector cannot be normalised");
        }
        double inv = 1.0 / Math.sqrt(ss);
        float[] out = new float[dim];
        for (int i = 0; i < dim; i++) {
            out[i] = (float) (v[i] * inv);
        }
        return out;
    }

    static ByteBuffer header(int dim, long count, Kind kind) {
        ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        h.put(MAGIC);
        h.putInt(VERSION);
        h.putInt(dim);
        h.putLong(count);
        h.putInt(kind.ordinal());
        h.position(0);
        return h;
    }

    private static void writeCount(FileChannel c, long n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n);
        b.flip();
        writeFully(c, b, 16);
    }

    private static void writeFully(FileChannel c, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            pos += c.write(b, pos);
        }
    }

    static String escape(String id) {
        if (id.indexOf('\\') < 0 && id.indexOf('\n') < 0 && id.indexOf('\r') < 0) {
            return id;
        }
        StringBuilder sb = new StringBuilder(id.length() + 8);
        for (int i = 0; i < id.length(); i++) {
            char ch = id.charAt(i);
            switch (ch) {
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                default -> sb.append(ch);
            }
        }
        return sb.toString();
    }

    static String unescape(String line) {
        if (line.indexOf('\\') < 0) {
            return line;
        }
        StringBuilder sb = new StringBuilder(line.length());
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (ch == '\\' && i + 1 < line.length()) {
                char nx = line.charAt(++i);
                sb.append(
                        switch (nx) {
                            case 'n' -> '\n';
                            case 'r' -> '\r';
                            default -> nx;
                        });
            } else {
                sb.append(ch);
            }
        }
        return sb.toString();
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (lock != null && lock.isValid()) {
                lock.release();
            }
        } finally {
            try {
                vectors.close();
            } finally {
                idsFile.close();
            }
        }
    }
}

package org.blip4j.io;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reader and writer for the safetensors format (8-byte little-endian header length, JSON header, raw data), written by
 * hand because no maintained JVM library reads it lazily through mmap.
 *
 * <p>Every tensor is memory-mapped on first access with its own mapping, so files over 2 GiB work and only touched
 * tensors are paged in. The header is validated completely before any tensor is returned: offsets inside the file,
 * sizes equal to {@code numel * dtype size}, no overlapping tensors.
 */
public final class SafeTensors implements AutoCloseable {
    /** Largest header accepted (the reference implementation's limit is 100 MB). */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    /** Duplicate tensor names and text after the header object are errors (Jackson accepts both by default). */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** Where one tensor lives in the file. */
    public record Entry(String name, DType dtype, long[] shape, long begin, long end) {}

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafeTensors(
            Path file, FileChannel channel, long dataStart, Map<String, Entry> entries, Map<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
    }

    /** Opens and validates a safetensors file; tensors are mapped lazily. */
    public static SafeTensors open(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new CheckpointFormatException(file, "file not found");
        }
        if (Files.isDirectory(file)) {
            throw new CheckpointFormatException(file, "is a directory, expected a .safetensors file");
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new CheckpointFormatException(file, "file not found");
        }
        try {
            long size = ch.size();
            if (size < 8) {
                throw new CheckpointFormatException(file, "not a safetensors file: only " + size + " bytes");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen > MAX_HEADER_BYTES && headerLen <= size - 8) {
                throw new CheckpointFormatException(
                        file,
                        "safetensors header length " + headerLen + " exceeds the limit of " + MAX_HEADER_BYTES
                                + " bytes (corrupt or hostile file)");
            }
            if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES || headerLen > size - 8) {
                throw new CheckpointFormatException(
                        file,
                        "not a safetensors file or truncated: header length " + headerLen + " but the file has " + size
                                + " bytes");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, 8);
            JsonNode root;
            try {
                root = JSON.readTree(new String(hb.array(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new CheckpointFormatException(
                        file,
                        "corrupt safetensors header (invalid JSON): "
                                + String.valueOf(
                                                e instanceof com.fasterxml.jackson.core.JsonProcessingException j
                                                        ? j.getOriginalMessage()
                                                        : e.getMessage())
                                        .lines()
                                        .findFirst()
                                        .orElse(""));
            }
            if (root == null || !root.isObject()) {
                throw new CheckpointFormatException(file, "corrupt safetensors header: not a JSON object");
            }
            long dataStart = 8 + headerLen;
            long dataLen = size - dataStart;
            Map<String, Entry> entries = new LinkedHashMap<>();
            Map<String, String> meta = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                var f = it.next();
                if (f.getKey().equals("__metadata__")) {
                    f.getValue()
                            .fields()
                            .forEachRemaining(
                                    m -> meta.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                entries.put(f.getKey(), parseEntry(file, f.getKey(), f.getValue(), dataLen));
            }
            checkNoOverlap(file, entries);
            return new SafeTensors(
                    file, ch, dataStart, Collections.unmodifiableMap(entries), Collections.unmodifiableMap(meta));
        } catch (CheckpointFormatException e) {
            ch.close();
            throw e;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw new CheckpointFormatException(file, "unreadable safetensors file (" + e + ")", e);
        }
    }

    private static Entry parseEntry(Path file, String name, JsonNode n, long dataLen) throws CheckpointFormatException {
        String where = "tensor '" + name + "': ";
        if (!n.isObject() || !n.has("dtype") || !n.has("shape") || !n.has("data_offsets")) {
            throw new CheckpointFormatException(file, where + "header entry needs dtype, shape and data_offsets");
        }
        DType dtype = DType.fromSafetensors(n.get("dtype").asText());
        if (dtype == null) {
            throw new CheckpointFormatException(
                    file, where + "unsupported dtype " + n.get("dtype").asText());
        }
        JsonNode s = n.get("shape");
        JsonNode o = n.get("data_offsets");
        if (!s.isArray() || !o.isArray() || o.size() != 2) {
            throw new CheckpointFormatException(file, where + "shape must be a list and data_offsets a pair");
        }
        long[] shape = new long[s.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = nonNegativeInteger(s.get(i));
            if (shape[i] < 0) {
                throw new CheckpointFormatException(file, where + "invalid dimension " + s.get(i));
            }
            try {
                numel = Math.multiplyExact(numel, shape[i]);
            } catch (ArithmeticException e) {
                throw new CheckpointFormatException(file, where + "absurd shape " + s + " (element count overflows)");
            }
        }
        long begin = nonNegativeInteger(o.get(0));
        long end = nonNegativeInteger(o.get(1));
        if (begin < 0 || end < begin) {
            throw new CheckpointFormatException(file, where + "invalid data_offsets " + o);
        }
        if (end > dataLen) {
            throw new CheckpointFormatException(
                    file,
                    where + "data_offsets " + o + " point past the end of the file (data is " + dataLen
                            + " bytes; truncated file?)");
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(numel, dtype.bytes());
        } catch (ArithmeticException e) {
            throw new CheckpointFormatException(file, where + "absurd shape " + s);
        }
        if (end - begin != bytes) {
            throw new CheckpointFormatException(
                    file,
                    where + "shape " + s + " " + dtype + " needs " + bytes + " bytes but data_offsets " + o + " span "
                            + (end - begin));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /**
     * The value of a JSON number that is a non-negative integer (1e12 counts: it is integral), else -1; 2.5, "2",
     * negative numbers and integers beyond the long range are all -1.
     */
    private static long nonNegativeInteger(JsonNode v) {
        if (v.isIntegralNumber()) {
            return v.canConvertToLong() ? Math.max(v.asLong(), -1) : -1;
        }
        if (v.isFloatingPointNumber()) {
            double d = v.asDouble();
            return d >= 0 && d < 0x1p63 && d == Math.rint(d) ? (long) d : -1;
        }
        return -1;
    }

    private static void checkNoOverlap(Path file, Map<String, Entry> entries) throws CheckpointFormatException {
        List<Entry> sorted = new ArrayList<>(entries.values());
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        for (int i = 1; i < sorted.size(); i++) {
            Entry a = sorted.get(i - 1);
            Entry b = sorted.get(i);
            if (b.begin() < a.end()) {
                throw new CheckpointFormatException(
                        file, "tensors '" + a.name() + "' and '" + b.name() + "' overlap in the data section");
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos + buf.position());
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    public Path file() {
        return file;
    }

    /** Tensor names in header order. */
    public Map<String, Entry> entries() {
        return entries;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** Maps and returns one tensor (a read-only view of the file; valid while the JVM holds the mapping). */
    public RawTensor get(String name) throws IOException {
        Entry e = entries.get(name);
        if (e == null) {
            throw new CheckpointFormatException(file, "no tensor named '" + name + "'");
        }
        long len = e.end() - e.begin();
        ByteBuffer buf;
        if (len == 0) {
            buf = ByteBuffer.allocate(0);
        } else if (len > Integer.MAX_VALUE) {
            throw new CheckpointFormatException(file, "tensor '" + name + "' is larger than 2 GiB");
        } else {
            buf = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin(), len);
        }
        return new RawTensor(e.dtype(), e.shape(), buf.order(ByteOrder.LITTLE_ENDIAN));
    }

    /**
     * Reads every tensor (mapped) in header order. The map is a {@link StateDict}, which can also copy a tensor's bytes
     * from the file straight into native memory.
     */
    public Map<String, RawTensor> readAll() throws IOException {
        Map<String, RawTensor> out = new LinkedHashMap<>();
        for (String k : entries.keySet()) {
            out.put(k, get(k));
        }
        Object fileKey = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        return new StateDict(file, fileKey, channel.size(), dataStart, entries, Collections.unmodifiableMap(out));
    }

    /**
     * All tensors of one safetensors file by name, in header order (read-only), as memory-mapped views; for loading, a
     * {@link Reader} copies a tensor's bytes from the file straight into a destination buffer instead. That keeps the
     * file's pages out of the process's resident set: copying through the mappings leaves every touched page mapped
     * (and counted in RSS, next to the model's own copy) until the garbage collector drops the buffers.
     */
    public static final class StateDict extends AbstractMap<String, RawTensor> {
        private final Path file;
        private final Object fileKey;
        private final long size;
        private final long dataStart;
        private final Map<String, SafeTensors.Entry> entries;
        private final Map<String, RawTensor> tensors;

        private StateDict(
                Path file,
                Object fileKey,
                long size,
                long dataStart,
                Map<String, SafeTensors.Entry> entries,
                Map<String, RawTensor> tensors) {
            this.file = file;
            this.fileKey = fileKey;
            this.size = size;
            this.dataStart = dataStart;
            this.entries = entries;
            this.tensors = tensors;
        }

        public Path file() {
            return file;
        }

        @Override
        public Set<Map.Entry<String, RawTensor>> entrySet() {
            return tensors.entrySet();
        }

        @Override
        public RawTensor get(Object key) {
            return tensors.get(key);
        }

        @Override
        public boolean containsKey(Object key) {
            return tensors.containsKey(key);
        }

        @Override
        public int size() {
            return tensors.size();
        }

        /**
         * Opens the file for direct reads, or returns null when the file on disk is no longer the one these tensors
         * were mapped from (replaced or resized since): then the mapped views are the only correct source.
         */
        public Reader openReader() throws IOException {
            FileChannel ch;
            try {
                ch = FileChannel.open(file, StandardOpenOption.READ);
            } catch (NoSuchFileException e) {
                return null;
            }
            try {
                Object key =
                        Files.readAttributes(file, BasicFileAttributes.class).fileKey();
                if (fileKey == null || !fileKey.equals(key) || ch.size() != size) {
                    ch.close();
                    return null;
                }
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
            return new Reader(ch);
        }

        /** Positional reads of whole tensors from the open file (not thread-safe per instance; close when done). */
        public final class Reader implements AutoCloseable {
            private final FileChannel channel;

            private Reader(FileChannel channel) {
                this.channel = channel;
            }

            /**
             * Fills {@code dst} (exactly the tensor's byte size remaining) with the raw little-endian bytes of a
             * tensor.
             */
            public void readInto(String name, ByteBuffer dst) throws IOException {
                SafeTensors.Entry e = entries.get(name);
                if (e == null) {
                    throw new CheckpointFormatException(file, "no tensor named '" + name + "'");
                }
                long len = e.end() - e.begin();
                if (dst.remaining() != len) {
                    throw new IllegalArgumentException(
                            "tensor '" + name + "' has " + len + " bytes, destination has " + dst.remaining());
                }
                try {
                    readFully(channel, dst.slice(), dataStart + e.begin());
                } catch (IOException ex) {
                    throw new CheckpointFormatException(
                            file, "could not read tensor '" + name + "': " + ex.getMessage(), ex);
                }
            }

            /** Closes the file; a failure to close a read-only file loses nothing and is ignored. */
            @Override
            public void close() {
                try {
                    channel.close();
                } catch (IOException e) {
                    // nothing was written
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /**
     * Writes tensors (in map order) atomically: a temporary file in the same folder, then a rename. Metadata is
     * written in key order, so the same tensors give the same bytes in every run ({@code Map.of}'s iteration order
     * changes from JVM to JVM).
     */
    public static void write(Path file, Map<String, RawTensor> tensors, Map<String, String> metadata)
            throws IOException {
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.getFactory().createGenerator(header)) {
            g.writeStartObject();
            if (metadata != null && !metadata.isEmpty()) {
                g.writeObjectFieldStart("__metadata__");
                for (var m : new java.util.TreeMap<>(metadata).entrySet()) {
                    g.writeStringField(m.getKey(), m.getValue());
                }
                g.writeEndObject();
            }
            long offset = 0;
            for (var t : tensors.entrySet()) {
                RawTensor r = t.getValue();
                long n = r.data().remaining();
                g.writeObjectFieldStart(t.getKey());
                g.writeStringField("dtype", r.dtype().safetensorsName());
                g.writeArrayFieldStart("shape");
                for (long d : r.shape()) {
                    g.writeNumber(d);
                }
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(offset);
                g.writeNumber(offset + n);
                g.writeEndArray();
                g.writeEndObject();
                offset += n;
            }
            g.writeEndObject();
        }
        byte[] h = header.toByteArray();
        int pad = (8 - (h.length % 8)) % 8; // align data to 8 bytes as the reference writer does
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            try (FileChannel out =
                    FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer lb =
                        ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, h.length + pad);
                writeFully(out, lb);
                byte[] hp = new byte[h.length + pad];
                System.arraycopy(h, 0, hp, 0, h.length);
                for (int i = h.length; i < hp.length; i++) {
                    hp[i] = ' ';
                }
                writeFully(out, ByteBuffer.wrap(hp));
                for (RawTensor r : tensors.values()) {
                    writeFully(out, r.data());
                }
                out.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            out.write(b);
        }
    }
}

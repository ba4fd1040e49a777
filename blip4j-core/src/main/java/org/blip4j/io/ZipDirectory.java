package org.blip4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The central directory of a zip archive with ZIP64, mirroring PyTorch's {@code PyTorchStreamReader} (miniz);
 * hand-written because no JVM library reads torch zip checkpoints without executing pickle code, and java.util.zip
 * cannot memory-map a STORED entry in place (checkpoints reach several GiB).
 */
final class ZipDirectory {
    static final int STORED = 0;
    static final int DEFLATED = 8;
    private static final int EOCD_SIG = 0x06054b50;
    private static final int ZIP64_LOCATOR_SIG = 0x07064b50;
    private static final int ZIP64_EOCD_SIG = 0x06064b50;
    private static final int CENTRAL_SIG = 0x02014b50;
    private static final int LOCAL_SIG = 0x04034b50;
    private static final long MAX_CENTRAL_DIRECTORY = 256L << 20;

    /** One archive member; {@code dataStart} is resolved from the local header on first use. */
    static final class Entry {
        final String name;
        final int method;
        final long compressedSize;
        final long size;
        final long localHeaderOffset;
        long dataStart = -1;

        Entry(String name, int method, long compressedSize, long size, long localHeaderOffset) {
            this.name = name;
            this.method = method;
            this.compressedSize = compressedSize;
            this.size = size;
            this.localHeaderOffset = localHeaderOffset;
        }
    }

    private final Path file;
    private final FileChannel channel;
    private final long fileSize;
    private final Map<String, Entry> entries;
    private final Map<Entry, ByteBuffer> contents = new java.util.HashMap<>();

    private ZipDirectory(Path file, FileChannel channel, long fileSize, Map<String, Entry> entries) {
        this.file = file;
        this.channel = channel;
        this.fileSize = fileSize;
        this.entries = entries;
    }

    /** Returns null when the file has no end-of-central-directory record (not a zip, or cut short). */
    static ZipDirectory read(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        int tail = (int) Math.min(size, 22 + 0xffff);
        if (tail < 22) {
            return null;
        }
        ByteBuffer t = readAt(ch, size - tail, tail);
        int eocd = -1;
        for (int i = tail - 22; i >= 0; i--) {
            if (t.getInt(i) == EOCD_SIG && i + 22 + (t.getShort(i + 20) & 0xffff) <= tail) {
                eocd = i;
                break;
            }
        }
        if (eocd < 0) {
            return null;
        }
        long count = t.getShort(eocd + 10) & 0xffff;
        long cdSize = t.getInt(eocd + 12) & 0xffffffffL;
        long cdOffset = t.getInt(eocd + 16) & 0xffffffffL;
        long eocdPos = size - tail + eocd;
        if (eocdPos >= 20 && (count == 0xffff || cdSize == 0xffffffffL || cdOffset == 0xffffffffL)) {
            ByteBuffer loc = readAt(ch, eocdPos - 20, 20);
            if (loc.getInt(0) == ZIP64_LOCATOR_SIG) {
                long recPos = loc.getLong(8);
                if (recPos < 0 || recPos > eocdPos - 56) {
                    throw corrupt(
                            file, "ZIP64 end-of-central-directory record offset " + recPos + " is outside the file");
                }
                ByteBuffer rec = readAt(ch, recPos, 56);
                if (rec.getInt(0) != ZIP64_EOCD_SIG) {
                    throw corrupt(file, "ZIP64 end-of-central-directory record not found at " + recPos);
                }
                count = rec.getLong(32);
                cdSize = rec.getLong(40);
                cdOffset = rec.getLong(48);
            }
        }
        if (cdOffset < 0
                || cdSize < 0
                || cdSize > MAX_CENTRAL_DIRECTORY
                || cdOffset + cdSize > eocdPos
                || count < 0
                || count > cdSize / 46) {
            throw corrupt(
                    file,
                    "central directory (offset " + cdOffset + ", " + cdSize + " bytes, " + count
                            + " entries) does not fit in the file");
        }
        ByteBuffer cd = readAt(ch, cdOffset, (int) cdSize);
        Map<String, Entry> entries = new LinkedHashMap<>();
        int p = 0;
        for (long i = 0; i < count; i++) {
            if (p + 46 > cdSize || cd.getInt(p) != CENTRAL_SIG) {
                throw corrupt(file, "central directory entry " + i + " is damaged");
            }
            int method = cd.getShort(p + 10) & 0xffff;
            long csize = cd.getInt(p + 20) & 0xffffffffL;
            long usize = cd.getInt(p + 24) & 0xffffffffL;
            int nameLen = cd.getShort(p + 28) & 0xffff;
            int extraLen = cd.getShort(p + 30) & 0xffff;
            int commentLen = cd.getShort(p + 32) & 0xffff;
            long local = cd.getInt(p + 42) & 0xffffffffL;
            int end = p + 46 + nameLen + extraLen + commentLen;
            if (end > cdSize) {
                throw corrupt(file, "central directory entry " + i + " is damaged");
            }
            byte[] nameBytes = new byte[nameLen];
            cd.get(p + 46, nameBytes);
            String name = new String(nameBytes, StandardCharsets.UTF_8);
            // ZIP64 extended information: only the fields whose 32-bit value is saturated are present, in this order.
            for (int x = p + 46 + nameLen; x + 4 <= p + 46 + nameLen + extraLen; ) {
                int id = cd.getShort(x) & 0xffff;
                int len = cd.getShort(x + 2) & 0xffff;
                int q = x + 4;
                if (id == 0x0001 && q + len <= end) {
                    if (usize == 0xffffffffL && q + 8 <= x + 4 + len) {
                        usize = cd.getLong(q);
                        q += 8;
                    }
                    if (csize == 0xffffffffL && q + 8 <= x + 4 + len) {
                        csize = cd.getLong(q);
                        q += 8;
                    }
                    if (local == 0xffffffffL && q + 8 <= x + 4 + len) {
                        local = cd.getLong(q);
                    }
                }
                x += 4 + len;
            }
            if (csize < 0 || usize < 0 || local < 0 || local + 30 > cdOffset || csize > cdOffset - local) {
                throw corrupt(file, "entry '" + name + "' points outside the archive data (truncated file?)");
            }
            entries.put(name, new Entry(name, method, csize, usize, local));
            p = end;
        }
        return new ZipDirectory(file, ch, size, Collections.unmodifiableMap(entries));
    }

    Map<String, Entry> entries() {
        return entries;
    }

    Entry get(String name) {
        return entries.get(name);
    }

    private long dataStart(Entry e) throws IOException {
        if (e.dataStart < 0) {
            ByteBuffer h = readAt(channel, e.localHeaderOffset, 30);
            if (h.getInt(0) != LOCAL_SIG) {
                throw corrupt(
                        file, "local header of entry '" + e.name + "' is missing at offset " + e.localHeaderOffset);
            }
            long start = e.localHeaderOffset + 30 + (h.getShort(26) & 0xffff) + (h.getShort(28) & 0xffff);
            if (start + e.compressedSize > fileSize) {
                throw corrupt(file, "entry '" + e.name + "' runs past the end of the file (truncated file?)");
            }
            e.dataStart = start;
        }
        return e.dataStart;
    }

    /**
     * Bytes {@code [offset, offset + length)} of an entry's uncompressed content: a read-only mapping of the file for
     * STORED entries, the inflated bytes for DEFLATED ones.
     */
    ByteBuffer window(Entry e, long offset, long length) throws IOException {
        if (offset < 0 || length < 0 || offset + length > e.size) {
            throw new IllegalArgumentException("window outside entry " + e.name);
        }
        if (length > Integer.MAX_VALUE) {
            throw new CheckpointFormatException(
                    file, "entry '" + e.name + "': a single tensor over 2 GiB is not supported");
        }
        if (e.method == STORED) {
            if (e.compressedSize != e.size) {
                throw corrupt(
                        file, "stored entry '" + e.name + "' has size " + e.size + " but occupies " + e.compressedSize);
            }
            if (length == 0) {
                return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
            }
            if (e.size > Integer.MAX_VALUE) { // too big for one mapping: map just this window
                return channel.map(FileChannel.MapMode.READ_ONLY, dataStart(e) + offset, length)
                        .order(ByteOrder.LITTLE_ENDIAN);
            }
        }
        ByteBuffer all = contents.get(e);
        if (all == null) {
            all = e.method == STORED
                    ? channel.map(FileChannel.MapMode.READ_ONLY, dataStart(e), e.size)
                    : ByteBuffer.wrap(readAll(e));
            contents.put(e, all);
        }
        return all.slice((int) offset, (int) length).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The whole uncompressed content of an entry on the heap (for data.pkl and small metadata records). */
    byte[] readAll(Entry e) throws IOException {
        if (e.size > Integer.MAX_VALUE - 8) {
            throw new CheckpointFormatException(
                    file, "entry '" + e.name + "' is too large to read into memory (" + e.size + " bytes)");
        }
        long start = dataStart(e);
        if (e.method == STORED) {
            if (e.compressedSize != e.size) {
                throw corrupt(
                        file, "stored entry '" + e.name + "' has size " + e.size + " but occupies " + e.compressedSize);
            }
            return readAt(channel, start, (int) e.size).array();
        }
        if (e.method != DEFLATED) {
            throw new CheckpointFormatException(
                    file,
                    "entry '" + e.name + "' uses unsupported zip compression method " + e.method
                            + " (only stored and deflated are supported)");
        }
        if (e.compressedSize > Integer.MAX_VALUE - 8) {
            throw new CheckpointFormatException(file, "compressed entry '" + e.name + "' is too large");
        }
        byte[] in = readAt(channel, start, (int) e.compressedSize).array();
        byte[] out = new byte[(int) e.size];
        Inflater inf = new Inflater(true);
        try {
            inf.setInput(in);
            int n = 0;
            while (n < out.length) {
                int k = inf.inflate(out, n, out.length - n);
                if (k == 0 && (inf.finished() || inf.needsInput() || inf.needsDictionary())) {
                    break;
                }
                n += k;
            }
            if (n != out.length) {
                throw corrupt(file, "entry '" + e.name + "' inflates to " + n + " bytes, expected " + e.size);
            }
        } catch (DataFormatException ex) {
            throw corrupt(file, "entry '" + e.name + "' has corrupt deflate data: " + ex.getMessage());
        } finally {
            inf.end();
        }
        return out;
    }

    static ByteBuffer readAt(FileChannel ch, long pos, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, pos + b.position()) < 0) {
                throw new java.io.EOFException("unexpected end of file at " + (pos + b.position()));
            }
        }
        return b.flip();
    }

    private static CheckpointFormatException corrupt(Path file, String problem) {
        return new CheckpointFormatException(file, "corrupt zip archive: " + problem);
    }
}

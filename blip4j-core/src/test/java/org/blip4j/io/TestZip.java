package org.blip4j.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A small zip writer for tests, laid out like torch.save's (STORED entries, data aligned to 64 bytes), that can also
 * force ZIP64 records on every entry and deflate entries.
 */
final class TestZip {
    private final Map<String, byte[]> entries = new LinkedHashMap<>();
    private boolean zip64;
    private boolean deflate;

    TestZip put(String name, byte[] data) {
        entries.put(name, data);
        return this;
    }

    TestZip put(String name, String text) {
        return put(name, text.getBytes(StandardCharsets.UTF_8));
    }

    TestZip zip64(boolean on) {
        zip64 = on;
        return this;
    }

    TestZip deflate(boolean on) {
        deflate = on;
        return this;
    }

    /** A torch-style archive: {@code <archive>/data.pkl}, {@code <archive>/data/<key>} and a version record. */
    static TestZip torch(String archive, byte[] pickle, Map<String, byte[]> storages) {
        TestZip z = new TestZip().put(archive + "/data.pkl", pickle);
        storages.forEach((k, v) -> z.put(archive + "/data/" + k, v));
        return z.put(archive + "/version", "3\n");
    }

    Path write(Path file) throws IOException {
        Files.write(file, toBytes());
        return file;
    }

    byte[] toBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream cd = new ByteArrayOutputStream();
        List<Long> offsets = new ArrayList<>();
        for (var e : entries.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            byte[] data = e.getValue();
            CRC32 crc = new CRC32();
            crc.update(data);
            byte[] stored = deflate ? deflate(data) : data;
            long offset = out.size();
            offsets.add(offset);
            ByteArrayOutputStream extra = new ByteArrayOutputStream();
            if (zip64) {
                le(extra, 1, 2);
                le(extra, 16, 2);
                le(extra, data.length, 8);
                le(extra, stored.length, 8);
            }
            int pad = (int) ((64 - (offset + 30 + name.length + extra.size() + 4) % 64) % 64);
            le(extra, 0x4246, 2); // 'FB' padding record, as torch writes it
            le(extra, pad, 2);
            extra.writeBytes(new byte[pad]);
            le(out, 0x04034b50, 4);
            le(out, zip64 ? 45 : 20, 2);
            le(out, 0, 2);
            le(out, deflate ? 8 : 0, 2);
            le(out, 0, 2);
            le(out, 0x21, 2);
            le(out, crc.getValue(), 4);
            le(out, zip64 ? 0xffffffffL : stored.length, 4);
            le(out, zip64 ? 0xffffffffL : data.length, 4);
            le(out, name.length, 2);
            le(out, extra.size(), 2);
            out.writeBytes(name);
            out.writeBytes(extra.toByteArray());
            out.writeBytes(stored);

            le(cd, 0x02014b50, 4);
            le(cd, zip64 ? 45 : 20, 2);
            le(cd, zip64 ? 45 : 20, 2);
            le(cd, 0, 2);
            le(cd, deflate ? 8 : 0, 2);
            le(cd, 0, 2);
            le(cd, 0x21, 2);
            le(cd, crc.getValue(), 4);
            le(cd, zip64 ? 0xffffffffL : stored.length, 4);
            le(cd, zip64 ? 0xffffffffL : data.length, 4);
            le(cd, name.length, 2);
            le(cd, zip64 ? 28 : 0, 2);
            le(cd, 0, 2);
            le(cd, 0, 2);
            le(cd, 0, 2);
            le(cd, 0, 4);
            le(cd, zip64 ? 0xffffffffL : offset, 4);
            cd.writeBytes(name);
            if (zip64) {
                le(cd, 1, 2);
                le(cd, 24, 2);
                le(cd, data.length, 8);
                le(cd, stored.length, 8);
                le(cd, offset, 8);
            }
        }
        long cdOffset = out.size();
        out.writeBytes(cd.toByteArray());
        int n = entries.size();
        if (zip64) {
            long recOffset = out.size();
            le(out, 0x06064b50, 4);
            le(out, 44, 8);
            le(out, 45, 2);
            le(out, 45, 2);
            le(out, 0, 4);
            le(out, 0, 4);
            le(out, n, 8);
            le(out, n, 8);
            le(out, cd.size(), 8);
            le(out, cdOffset, 8);
            le(out, 0x07064b50, 4);
            le(out, 0, 4);
            le(out, recOffset, 8);
            le(out, 1, 4);
        }
        le(out, 0x06054b50, 4);
        le(out, 0, 2);
        le(out, 0, 2);
        le(out, zip64 ? 0xffff : n, 2);
        le(out, zip64 ? 0xffff : n, 2);
        le(out, zip64 ? 0xffffffffL : cd.size(), 4);
        le(out, zip64 ? 0xffffffffL : cdOffset, 4);
        le(out, 0, 2);
        return out.toByteArray();
    }

    private static byte[] deflate(byte[] data) {
        Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        d.setInput(data);
        d.finish();
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        while (!d.finished()) {
            o.write(buf, 0, d.deflate(buf));
        }
        d.end();
        return o.toByteArray();
    }

    private static void le(ByteArrayOutputStream o, long v, int n) {
        for (int i = 0; i < n; i++) {
            o.write((int) (v >>> (8 * i)));
        }
    }
}

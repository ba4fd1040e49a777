package org.blip4j.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Byte-level builders for hostile files: pickles (protocol 2 opcodes written out), {@code torch.save}-style zips,
 * safetensors with arbitrary headers, and image headers that claim what they do not hold. Written by hand because
 * the point is to produce what no well-behaved library writes.
 */
final class HostileFiles {
    private HostileFiles() {}

    /** A pickle written opcode by opcode. */
    static final class Pickle {
        private final ByteArrayOutputStream b = new ByteArrayOutputStream();

        Pickle() {
            b.write(0x80); // PROTO 2
            b.write(2);
        }

        Pickle op(char opcode) {
            b.write(opcode);
            return this;
        }

        /** GLOBAL module\nname\n */
        Pickle global(String module, String name) {
            b.write('c');
            b.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        /** SHORT_BINUNICODE / BINUNICODE */
        Pickle str(String s) {
            byte[] u = s.getBytes(StandardCharsets.UTF_8);
            b.write('X');
            b.writeBytes(ByteBuffer.allocate(4)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(u.length)
                    .array());
            b.writeBytes(u);
            return this;
        }

        /** BININT (4 bytes) */
        Pickle integer(int v) {
            b.write('J');
            b.writeBytes(ByteBuffer.allocate(4)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(v)
                    .array());
            return this;
        }

        /** A raw byte sequence (for lying length prefixes and the like). */
        Pickle raw(byte... bytes) {
            b.writeBytes(bytes);
            return this;
        }

        byte[] stop() {
            b.write('.');
            return b.toByteArray();
        }
    }

    /** {@code {'w': module.name(arg)}}: a state dict whose value is a call of an arbitrary global. */
    static byte[] callInDict(String module, String name, String arg) {
        return new Pickle()
                .op('}')
                .str("w")
                .global(module, name)
                .str(arg)
                .op('\u0085')
                .op('R')
                .op('s')
                .stop();
    }

    /**
     * {@code {'w': _rebuild_tensor_v2(storage '0' of {@code storageElems} floats, 0, size, stride, False,
     * OrderedDict())}}.
     */
    static byte[] tensorDict(int storageElems, int[] size, int[] stride) {
        Pickle p = new Pickle()
                .op('}')
                .str("w")
                .global("torch._utils", "_rebuild_tensor_v2")
                .op('(');
        p.op('(')
                .str("storage")
                .global("torch", "FloatStorage")
                .str("0")
                .str("cpu")
                .integer(storageElems)
                .op('t')
                .op('Q');
        p.integer(0);
        p.op('(');
        for (int s : size) {
            p.integer(s);
        }
        p.op('t').op('(');
        for (int s : stride) {
            p.integer(s);
        }
        p.op('t')
                .op('\u0089')
                .global("collections", "OrderedDict")
                .op(')')
                .op('R')
                .op('t')
                .op('R')
                .op('s');
        return p.stop();
    }

    /** A torch.save-style zip: {@code archive/<name>} entries, stored (or deflated when {@code deflate}). */
    static void zip(Path file, Map<String, byte[]> entries, boolean deflate) throws IOException {
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(file))) {
            for (var e : entries.entrySet()) {
                ZipEntry ze = new ZipEntry("archive/" + e.getKey());
                if (!deflate) {
                    CRC32 crc = new CRC32();
                    crc.update(e.getValue());
                    ze.setMethod(ZipEntry.STORED);
                    ze.setSize(e.getValue().length);
                    ze.setCompressedSize(e.getValue().length);
                    ze.setCrc(crc.getValue());
                }
                z.putNextEntry(ze);
                z.write(e.getValue());
                z.closeEntry();
            }
        }
    }

    /**
     * A zip whose {@code archive/data.pkl} is {@code zeros} zero bytes, deflated (about 1000:1): a decompression bomb;
     * written streaming so the test never holds the inflated bytes.
     */
    static void zipBomb(Path file, long zeros) throws IOException {
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(file))) {
            z.setLevel(Deflater.BEST_SPEED);
            z.putNextEntry(new ZipEntry("archive/data.pkl"));
            byte[] chunk = new byte[1 << 20];
            for (long done = 0; done < zeros; done += chunk.length) {
                z.write(chunk, 0, (int) Math.min(chunk.length, zeros - done));
            }
            z.closeEntry();
            z.putNextEntry(new ZipEntry("archive/version"));
            z.write("3\n".getBytes(StandardCharsets.US_ASCII));
            z.closeEntry();
        }
    }

    /** A safetensors file: 8-byte little-endian header length (as given), the header text, then {@code data}. */
    static void safetensors(Path file, long headerLength, String header, byte[] data) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(ByteBuffer.allocate(8)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(headerLength)
                .array());
        b.writeBytes(header.getBytes(StandardCharsets.UTF_8));
        b.writeBytes(data);
        Files.write(file, b.toByteArray());
    }

    static void safetensors(Path file, String header, byte[] data) throws IOException {
        safetensors(file, header.getBytes(StandardCharsets.UTF_8).length, header, data);
    }

    /** A PNG with an IHDR of the given size (RGB, 8 bit) and an IDAT of {@code idatZeros} deflated zero bytes. */
    static void png(Path file, int width, int height, long idatZeros) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteBuffer ihdr = ByteBuffer.allocate(13)
                .putInt(width)
                .putInt(height)
                .put((byte) 8)
                .put((byte) 2)
                .put((byte) 0)
                .put((byte) 0)
                .put((byte) 0);
        chunk(b, "IHDR", ihdr.array());
        if (idatZeros > 0) {
            ByteArrayOutputStream z = new ByteArrayOutputStream();
            try (var d = new java.util.zip.DeflaterOutputStream(z, new Deflater(Deflater.BEST_SPEED))) {
                byte[] chunk = new byte[1 << 20];
                for (long done = 0; done < idatZeros; done += chunk.length) {
                    d.write(chunk, 0, (int) Math.min(chunk.length, idatZeros - done));
                }
            }
            chunk(b, "IDAT", z.toByteArray());
        }
        chunk(b, "IEND", new byte[0]);
        Files.write(file, b.toByteArray());
    }

    private static void chunk(ByteArrayOutputStream b, String type, byte[] data) {
        b.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        b.writeBytes(t);
        b.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        b.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /** A baseline JPEG header (SOI, SOF0 with the given size, 3 components) and nothing after it. */
    static void jpegHeader(Path file, int width, int height) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(2 + 2 + 17);
        b.put((byte) 0xFF).put((byte) 0xD8);
        b.put((byte) 0xFF)
                .put((byte) 0xC0)
                .putShort((short) 17)
                .put((byte) 8)
                .putShort((short) height)
                .putShort((short) width)
                .put((byte) 3);
        for (int c = 1; c <= 3; c++) {
            b.put((byte) c).put((byte) 0x11).put((byte) 0);
        }
        Files.write(file, b.array());
    }

    /** A GIF89a logical screen of the given size and nothing else. */
    static void gifHeader(Path file, int width, int height) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(13).order(ByteOrder.LITTLE_ENDIAN);
        b.put("GIF89a".getBytes(StandardCharsets.US_ASCII))
                .putShort((short) width)
                .putShort((short) height)
                .put((byte) 0)
                .put((byte) 0)
                .put((byte) 0);
        Files.write(file, b.array());
    }

    /** A 24-bit BMP header of the given size with no pixel data. */
    static void bmpHeader(Path file, int width, int height) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(54).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'B').put((byte) 'M').putInt(54).putInt(0).putInt(54);
        b.putInt(40)
                .putInt(width)
                .putInt(height)
                .putShort((short) 1)
                .putShort((short) 24)
                .putInt(0)
                .putInt(0)
                .putInt(2835)
                .putInt(2835)
                .putInt(0)
                .putInt(0);
        Files.write(file, b.array());
    }
}

package org.blip4j.image;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Assertions;

/** Test helpers: hand-written PNG/JPEG bytes and fixture lookup. */
final class TestImages {
    private TestImages() {}

    /** The fixture directory from system property blip4j.fixture; FAILS (not skips) when it is missing. */
    static Path fixtureDir() {
        String p = System.getProperty("blip4j.fixture");
        Assertions.assertNotNull(p, "system property blip4j.fixture is not set (surefire passes it)");
        Path dir = Path.of(p);
        Assertions.assertTrue(Files.isDirectory(dir), "fixture directory missing: " + dir.toAbsolutePath());
        return dir;
    }

    /** A fixture file that must exist. */
    static Path fixtureFile(Path dir, String name) {
        Path f = dir.resolve(name);
        Assertions.assertTrue(Files.isRegularFile(f), "fixture file missing: " + f.toAbsolutePath());
        return f;
    }

    /** A committed test resource under src/test/resources/images/. */
    static Path resource(String name) {
        var url = TestImages.class.getResource("/images/" + name);
        Assertions.assertNotNull(url, "test resource missing: images/" + name);
        try {
            return Path.of(url.toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] chunk(String type, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] t = type.getBytes(StandardCharsets.ISO_8859_1);
        writeInt(out, data.length);
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        writeInt(out, (int) crc.getValue());
        return out.toByteArray();
    }

    static byte[] ihdr(int w, int h, int depth, int colorType) {
        ByteArrayOutputStream d = new ByteArrayOutputStream();
        writeInt(d, w);
        writeInt(d, h);
        d.write(depth);
        d.write(colorType);
        d.write(0);
        d.write(0);
        d.write(0);
        return chunk("IHDR", d.toByteArray());
    }

    /** A PNG from raw scanlines (each already prefixed with its filter byte) and optional extra chunks before IDAT. */
    static byte[] png(int w, int h, int depth, int colorType, byte[] scanlines, byte[]... extraChunks) {
        Deflater def = new Deflater();
        def.setInput(scanlines);
        def.finish();
        byte[] buf = new byte[scanlines.length + 1024];
        int n = def.deflate(buf);
        def.end();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        out.writeBytes(ihdr(w, h, depth, colorType));
        for (byte[] c : extraChunks) {
            out.writeBytes(c);
        }
        out.writeBytes(chunk("IDAT", java.util.Arrays.copyOf(buf, n)));
        out.writeBytes(chunk("IEND", new byte[0]));
        return out.toByteArray();
    }

    /** Big-endian 16-bit samples as bytes. */
    static byte[] u16(int... v) {
        byte[] b = new byte[v.length * 2];
        for (int i = 0; i < v.length; i++) {
            b[2 * i] = (byte) (v[i] >> 8);
            b[2 * i + 1] = (byte) v[i];
        }
        return b;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    /** Inserts an APP1 Exif segment carrying only an Orientation tag right after a JPEG's SOI. */
    static byte[] withExifOrientation(byte[] jpeg, int orientation, boolean littleEndian) {
        ByteArrayOutputStream tiff = new ByteArrayOutputStream();
        if (littleEndian) {
            tiff.writeBytes(bytes(
                    'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, orientation, 0, 0, 0, 0, 0, 0, 0));
        } else {
            tiff.writeBytes(bytes(
                    'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0));
        }
        byte[] payload = concat("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1), tiff.toByteArray());
        int len = payload.length + 2;
        byte[] seg = concat(bytes(0xFF, 0xE1, len >> 8, len & 0xff), payload);
        return concat(java.util.Arrays.copyOf(jpeg, 2), seg, java.util.Arrays.copyOfRange(jpeg, 2, jpeg.length));
    }

    /** One GIF frame: placement, palette indices in display order, interlaced storage, transparent index or -1. */
    record GifFrame(int left, int top, int width, int height, int[] indices, boolean interlaced, int transparent) {}

    /**
     * A GIF89a with a 4-colour global palette, written by hand: each pixel is one literal LZW code preceded by a CLEAR
     * code (so codes stay 3 bits wide); interlaced frames store rows in pass order (0/8, 4/8, 2/4, 1/2).
     */
    static byte[] gif(int screenW, int screenH, int[] palette4, GifFrame... frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("GIF89a".getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(bytes(screenW, screenW >> 8, screenH, screenH >> 8, 0x80 | 0x70 | 1, 0, 0));
        for (int i = 0; i < 4; i++) {
            out.writeBytes(bytes(palette4[i] >> 16, palette4[i] >> 8, palette4[i]));
        }
        for (GifFrame f : frames) {
            int t = f.transparent();
            out.writeBytes(bytes(0x21, 0xF9, 4, t >= 0 ? 1 : 0, 0, 0, Math.max(t, 0), 0));
            out.writeBytes(bytes(
                    0x2C,
                    f.left(),
                    f.left() >> 8,
                    f.top(),
                    f.top() >> 8,
                    f.width(),
                    f.width() >> 8,
                    f.height(),
                    f.height() >> 8,
                    f.interlaced() ? 0x40 : 0));
            java.util.List<Integer> rows = new java.util.ArrayList<>();
            if (f.interlaced()) {
                for (int[] pass : new int[][] {{0, 8}, {4, 8}, {2, 4}, {1, 2}}) {
                    for (int y = pass[0]; y < f.height(); y += pass[1]) {
                        rows.add(y);
                    }
                }
            } else {
                for (int y = 0; y < f.height(); y++) {
                    rows.add(y);
                }
            }
            long acc = 0;
            int nbits = 0;
            ByteArrayOutputStream lzw = new ByteArrayOutputStream();
            java.util.List<Integer> codes = new java.util.ArrayList<>();
            for (int y : rows) {
                for (int x = 0; x < f.width(); x++) {
                    codes.add(4); // CLEAR
                    codes.add(f.indices()[y * f.width() + x]);
                }
            }
            codes.add(5); // END
            for (int c : codes) {
                acc |= (long) c << nbits;
                nbits += 3;
                while (nbits >= 8) {
                    lzw.write((int) (acc & 0xff));
                    acc >>>= 8;
                    nbits -= 8;
                }
            }
            if (nbits > 0) {
                lzw.write((int) acc);
            }
            out.write(2); // LZW minimum code size
            byte[] data = lzw.toByteArray();
            for (int i = 0; i < data.length; i += 255) {
                int n = Math.min(255, data.length - i);
                out.write(n);
                out.write(data, i, n);
            }
            out.write(0);
        }
        out.write(0x3B);
        return out.toByteArray();
    }

    static void writeInt(ByteArrayOutputStream out, int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }

    /** Writes bytes to a fresh file in dir. */
    static Path write(Path dir, String name, byte[] data) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, data);
        return f;
    }
}

package org.blip4j.server;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;

/** Images made in the tests: small PNGs, and PNG headers that claim huge sizes. */
final class TestImages {
    private TestImages() {}

    /** A w × h PNG of one colour with a contrasting square. */
    static byte[] png(int w, int h, Color color) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        var g = img.createGraphics();
        g.setColor(color);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.WHITE);
        g.fillRect(w / 4, h / 4, w / 2, h / 2);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The PNG signature and an IHDR chunk (valid CRC) for a w × h RGB image, then IEND: no pixel data. */
    static byte[] pngHeader(int w, int h) {
        ByteBuffer b = ByteBuffer.allocate(8 + 25 + 12);
        b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteBuffer ihdr = ByteBuffer.allocate(17);
        ihdr.put("IHDR".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                .putInt(w)
                .putInt(h)
                .put(new byte[] {8, 2, 0, 0, 0});
        chunk(b, ihdr.array());
        chunk(b, "IEND".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return b.array();
    }

    private static void chunk(ByteBuffer b, byte[] typeAndData) {
        b.putInt(typeAndData.length - 4).put(typeAndData);
        CRC32 crc = new CRC32();
        crc.update(typeAndData);
        b.putInt((int) crc.getValue());
    }
}

package org.blip4j.image;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.function.Consumer;
import javax.imageio.ImageIO;

/** A white RGB canvas encoded as PNG once drawn: what blip4j's charts (ITM histogram, confusion matrices) share. */
public final class PngCanvas {
    private PngCanvas() {}

    /** The PNG bytes of a {@code width} × {@code height} white canvas after {@code painter} has drawn on it. */
    public static byte[] draw(int width, int height, Consumer<Graphics2D> painter) throws IOException {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            painter.accept(g);
        } finally {
            g.dispose();
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        if (!ImageIO.write(img, "png", buf)) {
            throw new IOException("no PNG writer");
        }
        return buf.toByteArray();
    }
}

package org.blip4j.server;

import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import org.blip4j.image.RgbImage;

/** Small PNG previews of indexed images for search results (bilinear downscale, aspect kept). */
final class Thumbnails {
    private Thumbnails() {}

    static byte[] png(RgbImage img, int maxEdge) throws IOException {
        BufferedImage src = new BufferedImage(img.width(), img.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0; x < img.width(); x++) {
                src.setRGB(x, y, img.rgbAt(x, y));
            }
        }
        double scale = Math.min(1.0, (double) maxEdge / Math.max(img.width(), img.height()));
        int w = Math.max(1, (int) Math.round(img.width() * scale));
        int h = Math.max(1, (int) Math.round(img.height() * scale));
        BufferedImage out = src;
        if (scale < 1.0) {
            out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            var g = out.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(src, 0, 0, w, h, null);
            g.dispose();
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        ImageIO.write(out, "png", b);
        return b.toByteArray();
    }
}

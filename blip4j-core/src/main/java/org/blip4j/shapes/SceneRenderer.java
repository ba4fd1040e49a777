package org.blip4j.shapes;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** Renders a {@link Scene} to pixels (a pure function of the scene) and encodes PNGs without temporary files. */
public final class SceneRenderer {
    private SceneRenderer() {}

    /** The scene as an RGB image: background, antialiased objects in order, then per-pixel noise. */
    public static BufferedImage render(Scene scene) {
        return render(scene, true);
    }

    /**
     * The scene as an RGB image, objects drawn with or without antialiasing (without: every object pixel has the
     * object's colour before the noise, a robustness variant of the world).
     */
    public static BufferedImage render(Scene scene, boolean antialias) {
        int n = scene.size();
        int[] px = new int[n * n];
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                px[y * n + x] = scene.background().rgbAt(x, y, n);
            }
        }
        BufferedImage img = new BufferedImage(n, n, BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, n, n, px, 0, n);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(
                    RenderingHints.KEY_ANTIALIASING,
                    antialias ? RenderingHints.VALUE_ANTIALIAS_ON : RenderingHints.VALUE_ANTIALIAS_OFF);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            for (SceneObject o : scene.objects()) {
                g.setColor(new Color(o.rgb()));
                g.fill(o.path());
            }
        } finally {
            g.dispose();
        }
        if (scene.noise() > 0) {
            img.getRGB(0, 0, n, n, px, 0, n);
            Rng rng = new Rng(scene.noiseSeed());
            double a = scene.noise();
            for (int i = 0; i < px.length; i++) {
                long bits = rng.nextLong();
                int v = px[i];
                int out = 0;
                for (int ch = 0; ch < 3; ch++) {
                    // triangular noise in [-a, a] from two 10-bit uniforms
                    double u1 = ((bits >>> (20 * ch)) & 1023) / 1023.0;
                    double u2 = ((bits >>> (20 * ch + 10)) & 1023) / 1023.0;
                    int d = (int) Math.round((u1 + u2 - 1) * a);
                    int shift = 16 - 8 * ch;
                    out |= Background.clamp(((v >> shift) & 255) + d) << shift;
                }
                px[i] = out;
            }
            img.setRGB(0, 0, n, n, px, 0, n);
        }
        return img;
    }

    /** PNG bytes of an image (ImageIO's PNG writer, default settings, no timestamps: equal pixels, equal bytes). */
    public static byte[] png(BufferedImage img) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 * 1024);
        ImageWriter w = ImageIO.getImageWritersByFormatName("png").next();
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            w.setOutput(out);
            w.write(img);
        } finally {
            w.dispose();
        }
        return bytes.toByteArray();
    }
}

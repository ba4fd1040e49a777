package org.blip4j.eval;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import javax.imageio.ImageIO;

/**
 * Draws confusion matrices side by side into a PNG (plain Java2D): each cell shaded by its share of the row (the
 * truth), with its count written in it. Best-effort about fonts: without usable fonts it draws no text, with a
 * warning.
 */
public final class ConfusionPlot {
    private static final int CELL = 34;
    private static final int LEFT = 90;
    private static final int TOP = 110;
    private static final int GAP = 40;
    private static final int BOTTOM = 40;

    private ConfusionPlot() {}

    /** Writes the matrices (at least one) as one PNG, atomically; {@code warn} hears about missing fonts. */
    public static void write(Path png, List<ConfusionMatrix> matrices, Consumer<String> warn) throws IOException {
        byte[] bytes;
        try {
            bytes = draw(matrices, true);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) { // fonts missing or broken (Fontconfig, FreeType, font manager initialisation)
            warn.accept(png.getFileName() + ": drawn without text (fonts unavailable: " + e + ")");
            bytes = draw(matrices, false);
        }
        Path dir = png.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, png.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The PNG bytes. */
    static byte[] draw(List<ConfusionMatrix> matrices, boolean text) throws IOException {
        if (matrices.isEmpty()) {
            throw new IllegalArgumentException("no matrices to draw");
        }
        int width = LEFT;
        int height = 0;
        for (ConfusionMatrix m : matrices) {
            width += (m.labels().size() + 1) * CELL + GAP + LEFT;
            height = Math.max(height, TOP + m.labels().size() * CELL + BOTTOM);
        }
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            int x0 = LEFT;
            for (ConfusionMatrix m : matrices) {
                panel(g, m, x0, text);
                x0 += (m.labels().size() + 1) * CELL + GAP + LEFT;
            }
        } finally {
            g.dispose();
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        if (!ImageIO.write(img, "png", buf)) {
            throw new IOException("no PNG writer");
        }
        return buf.toByteArray();
    }

    private static void panel(Graphics2D g, ConfusionMatrix m, int x0, boolean text) {
        int n = m.labels().size();
        for (int r = 0; r < n; r++) {
            long row = 0;
            for (int c = 0; c <= n; c++) {
                row += m.count(r, c);
            }
            for (int c = 0; c <= n; c++) {
                double share = row == 0 ? 0 : (double) m.count(r, c) / row;
                g.setColor(shade(share, r == c));
                g.fillRect(x0 + c * CELL, TOP + r * CELL, CELL, CELL);
                g.setColor(new Color(0xdddddd));
                g.drawRect(x0 + c * CELL, TOP + r * CELL, CELL, CELL);
            }
        }
        g.setColor(Color.BLACK);
        g.drawRect(x0, TOP, (n + 1) * CELL, n * CELL);
        if (!text) {
            return;
        }
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        FontMetrics fm = g.getFontMetrics();
        for (int r = 0; r < n; r++) {
            for (int c = 0; c <= n; c++) {
                long v = m.count(r, c);
                if (v == 0) {
                    continue;
                }
                long row = 0;
                for (int k = 0; k <= n; k++) {
                    row += m.count(r, k);
                }
                String s = Long.toString(v);
                g.setColor((double) v / row > 0.55 ? Color.WHITE : Color.BLACK);
                g.drawString(s, x0 + c * CELL + (CELL - fm.stringWidth(s)) / 2, TOP + r * CELL + CELL / 2 + 4);
            }
            g.setColor(Color.BLACK);
            String l = m.labels().get(r);
            g.drawString(l, x0 - 6 - fm.stringWidth(l), TOP + r * CELL + CELL / 2 + 4);
        }
        AffineTransform saved = g.getTransform();
        for (int c = 0; c <= n; c++) {
            String l = c < n ? m.labels().get(c) : ConfusionMatrix.OTHER;
            g.setTransform(saved);
            g.translate(x0 + c * CELL + CELL / 2 + 4, TOP - 6);
            g.rotate(-Math.PI / 2);
            g.drawString(l, 0, 0);
        }
        g.setTransform(saved);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        double acc = m.accuracy();
        g.drawString(
                m.title() + (Double.isNaN(acc) ? "" : String.format(Locale.ROOT, " — %.1f %% right", 100 * acc)),
                x0 - LEFT + 10,
                20);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.drawString("rows: truth, columns: predicted (" + m.total() + ")", x0 - LEFT + 10, TOP + n * CELL + 20);
    }

    /** White to blue by share; off-diagonal cells in red. */
    private static Color shade(double share, boolean diagonal) {
        double t = Math.sqrt(Math.max(0, Math.min(1, share)));
        int base = diagonal ? 0x2a6fbb : 0xc0392b;
        int r = (int) Math.round(255 + (((base >> 16) & 255) - 255) * t);
        int gr = (int) Math.round(255 + (((base >> 8) & 255) - 255) * t);
        int b = (int) Math.round(255 + ((base & 255) - 255) * t);
        return new Color(r, gr, b);
    }
}

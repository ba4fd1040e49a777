package org.blip4j.capfilt;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Consumer;
import javax.imageio.ImageIO;

/**
 * Draws the p(match) histograms of web and synthetic texts with the threshold into a PNG (plain Java2D); best-effort:
 * without usable fonts it draws no text, and if drawing fails altogether it writes nothing, with a warning each time.
 */
final class ItmHistogramPlot {
    static final Color WEB = new Color(0x1f77b4);
    static final Color SYNTHETIC = new Color(0xff7f0e);
    private static final int W = 820;
    private static final int H = 480;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 50;
    private static final int BOTTOM = 60;

    private ItmHistogramPlot() {}

    /** Writes {@code png} from per-source bin counts ({@code histogram[0]} web, {@code [1]} synthetic); true if written. */
    static boolean write(Path png, long[][] histogram, double threshold, Consumer<String> warn) throws IOException {
        byte[] bytes;
        try {
            bytes = draw(histogram, threshold, true);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) { // fonts missing or broken: Fontconfig, FreeType, font manager initialisation
            warn.accept(png.getFileName() + ": drawn without text (fonts unavailable: " + e + ")");
            try {
                bytes = draw(histogram, threshold, false);
            } catch (VirtualMachineError e2) {
                throw e2;
            } catch (Throwable e2) {
                warn.accept(png.getFileName() + ": not written (" + e2 + ")");
                Files.deleteIfExists(png);
                return false;
            }
        }
        AtomicFiles.write(png, bytes);
        return true;
    }

    static byte[] draw(long[][] histogram, double threshold, boolean text) throws IOException {
        int bins = histogram[0].length;
        long peak = 1;
        for (long[] h : histogram) {
            for (long v : h) {
                peak = Math.max(peak, v);
            }
        }
        long max = (peak + 3) / 4 * 4; // whole-number grid lines at quarters
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, W, H);
            int pw = W - LEFT - RIGHT;
            int ph = H - TOP - BOTTOM;
            // light grid at quarter heights
            g.setColor(new Color(0xe6e6e6));
            for (int q = 1; q <= 4; q++) {
                int y = TOP + ph - ph * q / 4;
                g.drawLine(LEFT, y, LEFT + pw, y);
            }
            double group = (double) pw / bins;
            Color[] colors = {WEB, SYNTHETIC};
            for (int s = 0; s < 2; s++) {
                g.setColor(colors[s]);
                for (int b = 0; b < bins; b++) {
                    int h = (int) Math.round((double) histogram[s][b] / max * ph);
                    int x0 = LEFT + (int) Math.round(b * group + group * (0.1 + 0.4 * s));
                    int x1 = LEFT + (int) Math.round(b * group + group * (0.5 + 0.4 * s));
                    g.fillRect(x0, TOP + ph - h, Math.max(1, x1 - x0), h);
                }
            }
            g.setColor(Color.BLACK);
            g.drawRect(LEFT, TOP, pw, ph);
            for (int t = 0; t <= 4; t++) {
                int x = LEFT + pw * t / 4;
                g.drawLine(x, TOP + ph, x, TOP + ph + 5);
            }
            int tx = LEFT + (int) Math.round(threshold * pw);
            g.setColor(new Color(0xd62728));
            g.setStroke(
                    new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {8f, 6f}, 0f));
            g.drawLine(tx, TOP - 10, tx, TOP + ph);
            g.setStroke(new BasicStroke(1f));
            if (text) {
                g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
                g.setColor(Color.BLACK);
                g.drawString(
                        String.format(Locale.ROOT, "ITM p(match) per text; kept when p > %.2f", threshold), LEFT, 22);
                for (int t = 0; t <= 4; t++) {
                    String label = String.format(Locale.ROOT, "%.2f", t / 4.0);
                    int x = LEFT + pw * t / 4 - g.getFontMetrics().stringWidth(label) / 2;
                    g.drawString(label, x, TOP + ph + 20);
                }
                g.drawString("p(match)", LEFT + pw / 2 - 25, TOP + ph + 42);
                for (int q = 0; q <= 4; q++) {
                    String label = Long.toString(max * q / 4);
                    g.drawString(label, LEFT - 8 - g.getFontMetrics().stringWidth(label), TOP + ph - ph * q / 4 + 5);
                }
                g.drawString("texts", 10, TOP - 8);
                int lx = LEFT + pw - 150;
                String[] names = {"web", "synthetic"};
                for (int s = 0; s < 2; s++) {
                    g.setColor(colors[s]);
                    g.fillRect(lx, TOP + 10 + 18 * s, 12, 12);
                    g.setColor(Color.BLACK);
                    g.drawString(names[s], lx + 18, TOP + 21 + 18 * s);
                }
                g.setColor(new Color(0xd62728));
                g.drawString("threshold", Math.min(tx + 4, LEFT + pw - 60), TOP - 2);
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
}

package org.blip4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/** Draws the loss curves and the learning rate of a run's {@code metrics.jsonl} into a PNG with plain Java2D. */
public final class TrainingPlot {
    private static final Color[] COLORS = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e), new Color(0x9467bd)
    };

    private TrainingPlot() {}

    /**
     * Reads the metrics and writes {@code png}: losses on top, learning rate below and, when the run validated,
     * the validation metrics at the bottom, all against the step.
     */
    public static void write(Path metrics, Path png) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        Map<String, List<double[]>> val = new LinkedHashMap<>();
        List<double[]> lr = new ArrayList<>();
        for (String line : Files.readAllLines(metrics)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode row = json.readTree(line);
            double step = row.path("step").asDouble();
            row.fieldNames().forEachRemaining(k -> {
                if (k.startsWith("loss")) {
                    series.computeIfAbsent(k, x -> new ArrayList<>())
                            .add(new double[] {step, row.path(k).asDouble()});
                } else if (k.startsWith("val_")) {
                    val.computeIfAbsent(k, x -> new ArrayList<>())
                            .add(new double[] {step, row.path(k).asDouble()});
                }
            });
            if (row.has("lr")) {
                lr.add(new double[] {step, row.path("lr").asDouble()});
            }
        }
        int w = 900;
        int h = val.isEmpty() ? 620 : 960;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        panel(g, series, 60, 30, w - 90, 340, "loss");
        panel(g, Map.of("lr", lr), 60, 420, w - 90, 160, "learning rate");
        if (!val.isEmpty()) {
            panel(g, val, 60, 640, w - 90, 280, "validation (held-out scenes)");
        }
        g.dispose();
        Path tmp = png.resolveSibling("." + png.getFileName() + ".tmp");
        ImageIO.write(img, "png", tmp.toFile());
        Files.move(tmp, png, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static void panel(
            Graphics2D g, Map<String, List<double[]>> series, int x0, int y0, int w, int h, String title) {
        double minX = Double.MAX_VALUE;
        double maxX = -Double.MAX_VALUE;
        double minY = Double.MAX_VALUE;
        double maxY = -Double.MAX_VALUE;
        for (List<double[]> s : series.values()) {
            for (double[] p : s) {
                if (Double.isFinite(p[1])) {
                    minX = Math.min(minX, p[0]);
                    maxX = Math.max(maxX, p[0]);
                    minY = Math.min(minY, p[1]);
                    maxY = Math.max(maxY, p[1]);
                }
            }
        }
        g.setColor(Color.BLACK);
        g.drawRect(x0, y0, w, h);
        g.drawString(title, x0, y0 - 8);
        if (minX > maxX) {
            g.drawString("no data", x0 + 10, y0 + 20);
            return;
        }
        if (maxX == minX) {
            maxX = minX + 1;
        }
        if (maxY == minY) {
            maxY = minY + Math.max(1e-12, Math.abs(minY) * 0.1);
        }
        g.drawString(String.format("%.4g", maxY), 4, y0 + 10);
        g.drawString(String.format("%.4g", minY), 4, y0 + h);
        g.drawString(String.format("step %.0f", minX), x0, y0 + h + 16);
        String right = String.format("step %.0f", maxX);
        g.drawString(right, x0 + w - g.getFontMetrics().stringWidth(right), y0 + h + 16);
        int c = 0;
        g.setStroke(new BasicStroke(1.3f));
        for (var e : series.entrySet()) {
            g.setColor(COLORS[c % COLORS.length]);
            g.drawString(e.getKey(), x0 + w - 120, y0 + 16 + 14 * c);
            int px = -1;
            int py = -1;
            for (double[] p : e.getValue()) {
                if (!Double.isFinite(p[1])) {
                    continue;
                }
                int x = x0 + (int) Math.round((p[0] - minX) / (maxX - minX) * w);
                int y = y0 + h - (int) Math.round((p[1] - minY) / (maxY - minY) * h);
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                px = x;
                py = y;
            }
            c++;
        }
    }
}

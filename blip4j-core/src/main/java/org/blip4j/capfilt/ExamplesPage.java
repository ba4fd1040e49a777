package org.blip4j.capfilt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.blip4j.image.RgbImage;

/** Writes {@code examples.html}: sampled items with an inline thumbnail, their web and synthetic texts, scores, decisions. */
final class ExamplesPage {
    /** Longest side of a thumbnail, in pixels. */
    static final int THUMBNAIL = 160;

    /** One item: its decision rows (web texts first, then synthetic ones). */
    record Example(long index, List<JsonNode> rows) {}

    /** Reads an item's image by the path written in the web file. */
    @FunctionalInterface
    interface ImageSource {
        RgbImage load(String image) throws IOException;
    }

    private ExamplesPage() {}

    static void write(
            Path file, List<Example> examples, RunState state, double threshold, ImageSource images, ObjectMapper json)
            throws IOException {
        StringBuilder h = new StringBuilder();
        h.append(
                "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>CapFilt examples</title>\n");
        h.append("<style>\n")
                .append("body{font-family:sans-serif;margin:24px;color:#222}\n")
                .append("table{border-collapse:collapse;width:100%}\n")
                .append("td,th{border-bottom:1px solid #ddd;padding:8px;vertical-align:top;text-align:left}\n")
                .append("img{max-width:")
                .append(THUMBNAIL)
                .append("px;display:block}\n")
                .append(".path{font-size:11px;color:#666;word-break:break-all;max-width:")
                .append(THUMBNAIL)
                .append("px}\n")
                .append(".text{margin-bottom:8px;padding:4px 6px;border-left:4px solid}\n")
                .append(".kept{border-color:#2ca02c}.removed{border-color:#d62728;color:#777}\n")
                .append(".score{font-size:12px;font-family:monospace}\n")
                .append("</style>\n</head>\n<body>\n<h1>CapFilt examples</h1>\n");
        h.append("<p>")
                .append(examples.size())
                .append(" of ")
                .append(state.scored)
                .append(" scored items, sampled uniformly. A text is kept when its ITM p(match) &gt; ")
                .append(String.format(Locale.ROOT, "%.2f", threshold))
                .append(". Web texts kept: ")
                .append(state.kept[0])
                .append(" of ")
                .append(state.texts[0])
                .append("; synthetic captions kept: ")
                .append(state.kept[1])
                .append(" of ")
                .append(state.texts[1])
                .append("; rejected images: ")
                .append(state.rejected)
                .append(".</p>\n");
        h.append("<table>\n<tr><th>image</th><th>web text</th><th>synthetic caption</th></tr>\n");
        for (Example e : examples) {
            if (e.rows().isEmpty()) {
                continue;
            }
            String image = e.rows().get(0).path("image").asText();
            h.append("<tr><td>");
            try {
                h.append("<img src=\"data:image/png;base64,")
                        .append(thumbnail(images.load(image)))
                        .append("\" alt=\"")
                        .append(escape(image))
                        .append("\">");
            } catch (IOException | RuntimeException ex) {
                h.append("<div>(image unavailable)</div>");
            }
            h.append("<div class=\"path\">#")
                    .append(e.index())
                    .append(" ")
                    .append(escape(image))
                    .append("</div></td>\n");
            for (String source : new String[] {"web", "synthetic"}) {
                h.append("<td>");
                for (JsonNode row : e.rows()) {
                    if (!row.path("source").asText().equals(source)) {
                        continue;
                    }
                    boolean kept = row.path("kept").asBoolean();
                    h.append("<div class=\"text ")
                            .append(kept ? "kept" : "removed")
                            .append("\">")
                            .append(escape(row.path("text").asText()))
                            .append("<br><span class=\"score\">p(match) = ")
                            .append(String.format(
                                    Locale.ROOT,
                                    "%.4f",
                                    row.path("itm_probability").asDouble()))
                            .append(" &middot; ")
                            .append(kept ? "kept" : "removed")
                            .append("</span></div>");
                }
                h.append("</td>\n");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n</body>\n</html>\n");
        AtomicFiles.writeString(file, h.toString());
    }

    /** A PNG thumbnail (longest side at most {@link #THUMBNAIL}, box-filtered), base64-encoded. */
    static String thumbnail(RgbImage rgb) throws IOException {
        double scale = Math.min(1.0, (double) THUMBNAIL / Math.max(rgb.width(), rgb.height()));
        int w = Math.max(1, (int) Math.round(rgb.width() * scale));
        int h = Math.max(1, (int) Math.round(rgb.height() * scale));
        BufferedImage dst = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            int y0 = (int) ((long) y * rgb.height() / h);
            int y1 = Math.max(y0 + 1, (int) ((long) (y + 1) * rgb.height() / h));
            for (int x = 0; x < w; x++) {
                int x0 = (int) ((long) x * rgb.width() / w);
                int x1 = Math.max(x0 + 1, (int) ((long) (x + 1) * rgb.width() / w));
                long r = 0;
                long g = 0;
                long b = 0;
                for (int sy = y0; sy < y1; sy++) {
                    for (int sx = x0; sx < x1; sx++) {
                        r += rgb.get(sx, sy, 0);
                        g += rgb.get(sx, sy, 1);
                        b += rgb.get(sx, sy, 2);
                    }
                }
                long n = (long) (y1 - y0) * (x1 - x0);
                dst.setRGB(
                        x, y, (int) ((r + n / 2) / n) << 16 | (int) ((g + n / 2) / n) << 8 | (int) ((b + n / 2) / n));
            }
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ImageIO.write(dst, "png", buf);
        return Base64.getEncoder().encodeToString(buf.toByteArray());
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}

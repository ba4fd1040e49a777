package org.blip4j.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Counts of (true class, predicted class) pairs: rows are the true classes, columns the same classes plus a last
 * column {@value #OTHER} for predictions outside them (another kind of word, or no answer). Not thread-safe.
 */
public final class ConfusionMatrix {
    /** The column of predictions that are not one of the classes. */
    public static final String OTHER = "other";

    private final String title;
    private final List<String> labels;
    private final long[][] counts;

    /** An empty matrix over {@code labels} (the class names, in row and column order). */
    public ConfusionMatrix(String title, List<String> labels) {
        this.title = title;
        this.labels = List.copyOf(labels);
        this.counts = new long[labels.size()][labels.size() + 1];
    }

    public String title() {
        return title;
    }

    /** The class names (rows; columns are these plus {@link #OTHER}). */
    public List<String> labels() {
        return labels;
    }

    /** Counts one pair; a truth outside the classes is ignored, a prediction outside them counts as "other". */
    public void add(String truth, String predicted) {
        int r = labels.indexOf(truth);
        if (r < 0) {
            return;
        }
        int c = labels.indexOf(predicted);
        counts[r][c < 0 ? labels.size() : c]++;
    }

    /** The count of (truth row r, predicted column c); column {@code labels().size()} is "other". */
    public long count(int r, int c) {
        return counts[r][c];
    }

    /** All pairs counted. */
    public long total() {
        long n = 0;
        for (long[] row : counts) {
            for (long v : row) {
                n += v;
            }
        }
        return n;
    }

    /** The diagonal's share of all pairs (NaN when empty). */
    public double accuracy() {
        long right = 0;
        for (int i = 0; i < labels.size(); i++) {
            right += counts[i][i];
        }
        long n = total();
        return n == 0 ? Double.NaN : (double) right / n;
    }

    /** As JSON: {@code {title, labels, columns, counts: [[...]], total, accuracy}} (rows: truth, columns: predicted). */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("title", title);
        m.put("labels", labels);
        List<String> cols = new ArrayList<>(labels);
        cols.add(OTHER);
        m.put("columns", cols);
        List<List<Long>> rows = new ArrayList<>();
        for (long[] row : counts) {
            List<Long> r = new ArrayList<>();
            for (long v : row) {
                r.add(v);
            }
            rows.add(r);
        }
        m.put("counts", rows);
        m.put("total", total());
        double acc = accuracy();
        m.put("accuracy", Double.isNaN(acc) ? null : acc);
        return m;
    }

    /** A plain-text table: rows truth, columns predicted. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        sb.append(title)
                .append(" (rows: truth, columns: predicted; ")
                .append(total())
                .append(" pairs)\n");
        int w = 6;
        for (String l : labels) {
            w = Math.max(w, l.length() + 1);
        }
        sb.append(String.format(Locale.ROOT, "%-" + w + "s", ""));
        for (String l : labels) {
            sb.append(String.format(Locale.ROOT, "%6.6s", l));
        }
        sb.append(String.format(Locale.ROOT, "%6s%n", OTHER));
        for (int r = 0; r < labels.size(); r++) {
            sb.append(String.format(Locale.ROOT, "%-" + w + "s", labels.get(r)));
            for (long v : counts[r]) {
                sb.append(String.format(Locale.ROOT, "%6d", v));
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}

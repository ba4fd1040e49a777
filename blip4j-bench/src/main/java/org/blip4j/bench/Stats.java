package org.blip4j.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A list of repeated measurements of one quantity, summarised by its median (and range). */
final class Stats {
    private final List<Double> values = new ArrayList<>();

    void add(double v) {
        values.add(v);
    }

    int count() {
        return values.size();
    }

    double median() {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> s = sorted();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    double min() {
        return values.isEmpty() ? Double.NaN : sorted().get(0);
    }

    double max() {
        return values.isEmpty() ? Double.NaN : sorted().get(values.size() - 1);
    }

    /** "median (min–max, n=k)" with the given number format. */
    String describe(String fmt) {
        if (values.isEmpty()) {
            return "n/a";
        }
        return String.format(fmt, median()) + " (" + String.format(fmt, min()) + "–" + String.format(fmt, max())
                + ", n=" + values.size() + ")";
    }

    private List<Double> sorted() {
        List<Double> s = new ArrayList<>(values);
        Collections.sort(s);
        return s;
    }
}

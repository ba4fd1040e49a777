package org.blip4j.cli;

import java.io.PrintWriter;

/** A one-line progress bar with rate and ETA on stderr, drawn only for multi-item runs on a terminal. */
final class Progress {
    private final PrintWriter err;
    private final int total;
    private final long start = System.nanoTime();
    private final boolean enabled;
    private int done;
    private int failed;
    private long lastDraw;
    /** Length of the bar currently on screen without a line end (0 = none). */
    private int drawn;

    Progress(PrintWriter err, int total, boolean enabled) {
        this.err = err;
        this.total = total;
        this.enabled = enabled && total > 1;
    }

    void step(boolean ok) {
        done++;
        if (!ok) {
            failed++;
        }
        long now = System.nanoTime();
        if (enabled && (now - lastDraw > 200_000_000L || done == total)) {
            lastDraw = now;
            double secs = (now - start) / 1e9;
            double rate = done / Math.max(secs, 1e-9);
            double eta = (total - done) / Math.max(rate, 1e-9);
            int width = 30;
            int fill = (int) ((long) width * done / Math.max(total, 1));
            String bar = String.format(
                    "[%s%s] %d/%d  %.2f items/s  ETA %s%s",
                    "#".repeat(fill),
                    " ".repeat(width - fill),
                    done,
                    total,
                    rate,
                    clock(eta),
                    failed > 0 ? "  failed " + failed : "");
            err.print("\r" + bar + " ".repeat(Math.max(0, drawn - bar.length())));
            drawn = bar.length();
            if (done == total) {
                err.println();
                drawn = 0;
            }
            err.flush();
        }
    }

    /** Blanks the bar so that a message printed next starts on a clean line (the next step redraws it). */
    void clear() {
        if (drawn > 0) {
            err.print("\r" + " ".repeat(drawn) + "\r");
            drawn = 0;
            err.flush();
        }
    }

    int failed() {
        return failed;
    }

    static String clock(double secs) {
        long s = Math.round(secs);
        return String.format("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }
}

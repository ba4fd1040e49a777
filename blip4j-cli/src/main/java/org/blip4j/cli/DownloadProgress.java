package org.blip4j.cli;

import java.io.PrintWriter;
import org.blip4j.hub.DownloadListener;

/** Draws model download progress (file, bytes, percent, rate) as one refreshed line on stderr. */
final class DownloadProgress implements DownloadListener, AutoCloseable {
    private static final long MIN_SHOWN = 1 << 20; // files under 1 MiB finish before a line is worth drawing
    private final PrintWriter err;
    private String file;
    private long startNanos;
    private long startBytes;
    private long lastDraw;
    private boolean lineOpen;

    DownloadProgress(PrintWriter err) {
        this.err = err;
    }

    @Override
    public synchronized void progress(String name, long done, long total) {
        long now = System.nanoTime();
        if (!name.equals(file)) {
            finishLine();
            file = name;
            startNanos = now;
            startBytes = done;
            lastDraw = 0;
        }
        boolean finished = total >= 0 && done >= total;
        if ((total >= 0 && total < MIN_SHOWN) || (!finished && now - lastDraw < 200_000_000L)) {
            return;
        }
        lastDraw = now;
        double secs = Math.max((now - startNanos) / 1e9, 1e-3);
        double rate = (done - startBytes) / secs;
        String pct = total > 0 ? String.format(" %3d%%", (int) (100 * done / total)) : "";
        err.printf(
                "\rdownloading %s  %s / %s%s  %s/s   ",
                name, size(done), total >= 0 ? size(total) : "?", pct, size((long) rate));
        err.flush();
        lineOpen = true;
        if (finished) {
            finishLine();
        }
    }

    private void finishLine() {
        if (lineOpen) {
            err.println();
            err.flush();
            lineOpen = false;
        }
    }

    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format("%.1f %s", v, units[u]);
    }

    @Override
    public synchronized void close() {
        finishLine();
    }
}

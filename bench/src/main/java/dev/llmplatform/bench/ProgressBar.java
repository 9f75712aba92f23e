package dev.llmplatform.bench;

import java.io.PrintStream;

/** One line on stderr, redrawn in place: requests done out of planned, failures and elapsed time. */
final class ProgressBar {

    private static final int WIDTH = 30;

    private final PrintStream out;
    private final String label;
    private final int total;
    private final long start = System.nanoTime();
    private long lastDraw;

    ProgressBar(PrintStream out, String label, int total) {
        this.out = out;
        this.label = label;
        this.total = total;
    }

    synchronized void update(int done, int failed) {
        long now = System.nanoTime();
        if (done < total && now - lastDraw < 100_000_000L) {
            return; // at most ten redraws a second
        }
        lastDraw = now;
        int filled = total == 0 ? WIDTH : (int) ((long) WIDTH * done / total);
        out.printf("\r%-28s [%s%s] %d/%d failed=%d %.1fs", label, "#".repeat(filled), " ".repeat(WIDTH - filled),
                done, total, failed, (now - start) / 1e9);
        out.flush();
    }

    synchronized void finish(int done, int failed) {
        lastDraw = 0;
        update(total, failed);
        if (done < total) {
            out.printf(" (stopped at %d: max duration)", done);
        }
        out.println();
    }
}

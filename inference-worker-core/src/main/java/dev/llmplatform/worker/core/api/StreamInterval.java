package dev.llmplatform.worker.core.api;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * When a stream's held tokens go out as one chunk. A chunk goes once it holds {@code tokens} tokens and the least
 * time between two chunks has passed ({@code calm} while every request the worker holds has a slot, {@code busy}
 * while some wait for one), and at the latest {@code hold} after the previous chunk, however few it holds. Every
 * message costs each hop after the worker (scheduler, gateway, the client's SSE) about the same CPU whatever it
 * carries, so tokens per message is what sets the relays' CPU per token; the hold bounds what a reader waits for
 * text. A saturated batch's streams advance one token per step whatever the interval, so holding their tokens longer
 * costs them nothing in throughput, while each message saved is CPU left for decoding where they share the host.
 */
record StreamInterval(long calmNanos, long busyNanos, int tokens, long holdNanos, BooleanSupplier saturated) {

    StreamInterval {
        calmNanos = Math.max(0, calmNanos);
        busyNanos = Math.max(0, busyNanos);
        tokens = Math.max(1, tokens);
        holdNanos = Math.max(0, holdNanos);
    }

    StreamInterval(Duration calm, Duration busy, int tokens, Duration hold, BooleanSupplier saturated) {
        this(calm.toNanos(), busy.toNanos(), tokens, hold.toNanos(), saturated);
    }

    /** At most one chunk per interval, whatever it holds. */
    static StreamInterval fixed(Duration interval) {
        return new StreamInterval(interval, interval, 1, Duration.ZERO, () -> false);
    }

    /** The least time between two chunks now. */
    long nanos() {
        return busyNanos != calmNanos && saturated.getAsBoolean() ? busyNanos : calmNanos;
    }

    /**
     * The tokens a held chunk needs to go with another stream's due chunk ({@link StreamCohort}): half of what it waits
     * for, so that a stream joins the others' moment within half its own cycle, and no message is much shorter.
     */
    int joinTokens() {
        return (tokens + 1) / 2;
    }

    /** How long after the previous chunk the next one goes, when it holds {@code held} tokens. */
    long dueAfterNanos(int held) {
        long least = nanos();
        return held >= tokens ? least : Math.max(least, holdNanos);
    }
}

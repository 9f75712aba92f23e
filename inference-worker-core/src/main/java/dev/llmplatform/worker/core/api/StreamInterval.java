package dev.llmplatform.worker.core.api;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * The least time between two chunks of one stream: {@code calm} while every request the worker holds has a slot,
 * {@code busy} while some wait for one. A saturated batch's streams advance one token per step whatever the
 * interval, so holding their tokens longer costs them nothing in throughput, while each message saved on the
 * scheduler and the gateway is CPU they do not take from decoding where they share the host.
 */
record StreamInterval(long calmNanos, long busyNanos, BooleanSupplier saturated) {

    StreamInterval {
        calmNanos = Math.max(0, calmNanos);
        busyNanos = Math.max(0, busyNanos);
    }

    StreamInterval(Duration calm, Duration busy, BooleanSupplier saturated) {
        this(calm.toNanos(), busy.toNanos(), saturated);
    }

    static StreamInterval fixed(Duration interval) {
        return new StreamInterval(interval, interval, () -> false);
    }

    long nanos() {
        return busyNanos != calmNanos && saturated.getAsBoolean() ? busyNanos : calmNanos;
    }
}

package dev.llmplatform.worker.core.api;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextClosedEvent;

/**
 * Graceful drain, when the worker is asked to stop (SIGTERM, a Kubernetes preStop, the context closing): it refuses
 * new work at once and reports itself not ready, so the scheduler stops placing on it; the streams it is running
 * get until {@code worker.drain-timeout} to finish; those still running then end with UNAVAILABLE after the text
 * already sent, and the scheduler resumes each on another worker from the tokens it streamed. It runs on the
 * context's closed event, before any lifecycle bean (the gRPC server among them) stops.
 */
public final class WorkerDrain implements ApplicationListener<ContextClosedEvent> {

    private static final Logger log = LoggerFactory.getLogger(WorkerDrain.class);
    private static final long POLL_MILLIS = 20;
    /** After the abort, how long the aborted streams get to end before the server goes on closing. */
    private static final long ABORT_GRACE_MILLIS = 2000;

    private final Duration timeout;
    private final Set<Runnable> running = ConcurrentHashMap.newKeySet();
    private volatile boolean draining;

    public WorkerDrain(Duration timeout) {
        this.timeout = timeout;
    }

    public boolean draining() {
        return draining;
    }

    /** A stream the drain waits for, and {@code abort} ends it (the stream ends with UNAVAILABLE). */
    void track(Runnable abort) {
        running.add(abort);
    }

    void untrack(Runnable abort) {
        running.remove(abort);
    }

    @Override
    public void onApplicationEvent(ContextClosedEvent event) {
        drain();
    }

    /** Refuses new work, waits for the running streams up to the timeout, then ends the rest. */
    public void drain() {
        if (draining) {
            return;
        }
        draining = true;
        int atStart = running.size();
        long deadline = System.nanoTime() + timeout.toNanos();
        awaitEmpty(deadline);
        int left = running.size();
        if (left > 0) {
            log.info("Drain: {} of {} streams still running after {}; ending them so that the scheduler resumes them elsewhere",
                    left, atStart, timeout);
            running.forEach(Runnable::run);
            awaitEmpty(System.nanoTime() + ABORT_GRACE_MILLIS * 1_000_000);
        } else {
            log.info("Drain: all {} streams finished", atStart);
        }
    }

    private void awaitEmpty(long deadlineNanos) {
        while (!running.isEmpty() && System.nanoTime() < deadlineNanos) {
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}

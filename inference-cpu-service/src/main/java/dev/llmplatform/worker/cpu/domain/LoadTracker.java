package dev.llmplatform.worker.cpu.domain;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the worker is doing now and how fast it has been: the numbers the scheduler places requests by.
 * Speeds are exponentially smoothed so that one odd request does not swing placement.
 */
public final class LoadTracker {

    private static final double SMOOTHING = 0.2;

    private final int slots;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Prompt plus generated tokens of the sequences admitted now: what their KV cache holds. */
    private final AtomicLong kvCacheTokens = new AtomicLong();
    private final AtomicLong generatedTokens = new AtomicLong();
    private double decodeTokensPerSecond;
    private double prefillTokensPerSecond;

    public LoadTracker(int slots) {
        this.slots = slots;
    }

    /** Admits a request unless {@code limit} requests are already running or waiting. */
    public boolean tryAdmit(int limit) {
        while (true) {
            int current = inFlight.get();
            if (current >= limit) {
                return false;
            }
            if (inFlight.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    public void release() {
        inFlight.decrementAndGet();
    }

    public int running() {
        return Math.min(inFlight.get(), slots);
    }

    public int waiting() {
        return Math.max(0, inFlight.get() - slots);
    }

    public int slots() {
        return slots;
    }

    /** A sequence's prompt entered the KV cache. */
    public void sequenceStarted(int promptTokens) {
        kvCacheTokens.addAndGet(promptTokens);
    }

    /** One more generated token: it occupies the KV cache and counts towards the worker's output. */
    public void tokenGenerated() {
        kvCacheTokens.incrementAndGet();
        generatedTokens.incrementAndGet();
    }

    /** A sequence left the batch; its {@code tokens} (prompt plus generated) are no longer held for it. */
    public void sequenceEnded(int tokens) {
        kvCacheTokens.addAndGet(-tokens);
    }

    public long kvCacheTokens() {
        return Math.max(0, kvCacheTokens.get());
    }

    public long generatedTokens() {
        return generatedTokens.get();
    }

    public synchronized void recordPrefill(int promptTokens, long nanos) {
        if (promptTokens > 0 && nanos > 0) {
            prefillTokensPerSecond = smooth(prefillTokensPerSecond, promptTokens * 1e9 / nanos);
        }
    }

    public synchronized void recordDecode(int tokens, long nanos) {
        if (tokens > 0 && nanos > 0) {
            decodeTokensPerSecond = smooth(decodeTokensPerSecond, tokens * 1e9 / nanos);
        }
    }

    public synchronized double decodeTokensPerSecond() {
        return decodeTokensPerSecond;
    }

    public synchronized double prefillTokensPerSecond() {
        return prefillTokensPerSecond;
    }

    private static double smooth(double previous, double sample) {
        return previous == 0 ? sample : previous + SMOOTHING * (sample - previous);
    }
}

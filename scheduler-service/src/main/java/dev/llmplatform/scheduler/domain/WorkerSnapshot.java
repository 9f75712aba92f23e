package dev.llmplatform.scheduler.domain;

import java.util.Map;

/**
 * One worker as placement sees it: its last load report, the speeds the scheduler measured on its streams, its
 * device profile and the work this scheduler has placed on it and not yet seen finish.
 *
 * @param pool                     the worker pool it belongs to (e.g. cpu, gpu): the unit of scaling and metrics
 * @param available                ready by its load stream and health check, and its circuit breaker is closed
 * @param contextLengths           context length per model the worker serves
 * @param running                  sequences running on the worker: its last report brought up to date with the
 *                                 starts and ends this scheduler has seen since
 * @param waiting                  sequences queued on the worker behind them, likewise
 * @param slots                    sequences it runs at once
 * @param maxWaiting               sequences it lets wait before refusing
 * @param prefillTokensPerSecond   measured (smoothed) prompt speed of one sequence [tokens/s]
 * @param decodeTokensPerSecond    measured (smoothed) generation speed of one sequence [tokens/s]
 * @param kvCacheUsage             share of its KV cache in use, 0..1
 * @param outstanding              requests this scheduler placed there that have not finished
 * @param outstandingPrefillTokens prompt tokens of those requests not yet processed [tokens]
 * @param outstandingDecodeTokens  output tokens those requests are still expected to generate [tokens]
 */
public record WorkerSnapshot(
        String id,
        String pool,
        boolean available,
        Map<String, Integer> contextLengths,
        int running,
        int waiting,
        int slots,
        int maxWaiting,
        double prefillTokensPerSecond,
        double decodeTokensPerSecond,
        double kvCacheUsage,
        DeviceProfile profile,
        int outstanding,
        long outstandingPrefillTokens,
        long outstandingDecodeTokens) {

    public WorkerSnapshot {
        contextLengths = Map.copyOf(contextLengths);
    }

    public boolean knows(String model) {
        return contextLengths.containsKey(model);
    }

    public boolean serves(String model) {
        return available && contextLengths.containsKey(model);
    }

    /**
     * Sequences on the worker. Never fewer than this scheduler knows it sent: a snapshot built from a report alone
     * (a test's, a benchmark's) may say less.
     */
    public int inFlight() {
        return Math.max(outstanding, running + waiting);
    }

    /** It would refuse one more sequence. */
    public boolean saturated() {
        return inFlight() >= slots + maxWaiting;
    }

    /** Sequences in flight per slot: 0.5 means half the slots are busy, 2 means a full queue behind them. */
    public double utilisation() {
        return slots == 0 ? Double.MAX_VALUE : (double) inFlight() / slots;
    }
}

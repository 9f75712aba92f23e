package dev.llmplatform.scheduler.domain;

import java.util.Map;

/**
 * The last load report of one worker, as the scheduler places requests by it.
 *
 * @param contextLengths context length per model the worker serves
 */
public record WorkerSnapshot(
        String id,
        String deviceClass,
        boolean ready,
        Map<String, Integer> contextLengths,
        int running,
        int waiting,
        int slots,
        double decodeTokensPerSecond) {

    public WorkerSnapshot {
        contextLengths = Map.copyOf(contextLengths);
    }

    public boolean serves(String model) {
        return ready && contextLengths.containsKey(model);
    }

    /** Sequences in flight per slot: 0.5 means half the slots are busy, 2 means a full queue behind them. */
    public double utilisation() {
        return slots == 0 ? Double.MAX_VALUE : (double) (running + waiting) / slots;
    }
}

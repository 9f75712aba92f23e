package dev.llmplatform.scheduler.domain;

/**
 * Time and energy of request j on worker i (docs/scheduler.md has the derivation).
 *
 * <pre>
 *   t_ij = (p_j − h_ij) / q_i + d_j / r_i                      service time [s]
 *   B_i  = P_i / q_i + D_i / r_i                               work placed on i and not done [s]
 *   w_i  = n_i &lt; s_i ? 0 : B_i · (n_i − s_i + 1) / (n_i · s_i)  wait for a free slot [s]
 *   F_ij = w_i + t_ij                                          estimated finish from now [s]
 *   J_ij = (W_load,i − W_idle,i) · t_ij                         energy the request adds [J]
 * </pre>
 * p_j prompt tokens, h_ij of them already in i's KV cache, d_j expected output tokens, q_i and r_i the measured
 * per-sequence prefill and decode speeds [tokens/s], P_i and D_i the prompt and output tokens still to process
 * on i, n_i sequences in flight on i, s_i its slots.
 */
public final class CostModel {

    /** @param serviceSeconds t_ij; finishSeconds F_ij; joules J_ij */
    public record Estimate(double serviceSeconds, double finishSeconds, double joules) {
    }

    private CostModel() {
    }

    public static double serviceSeconds(WorkerSnapshot worker, int promptTokens, int cachedTokens, int outputTokens) {
        return (promptTokens - cachedTokens) / worker.prefillTokensPerSecond() + outputTokens / worker.decodeTokensPerSecond();
    }

    public static double backlogSeconds(WorkerSnapshot worker) {
        return worker.outstandingPrefillTokens() / worker.prefillTokensPerSecond()
                + worker.outstandingDecodeTokens() / worker.decodeTokensPerSecond();
    }

    /** The wait for a free slot: the share of the backlog that must drain before one of the slots frees. */
    public static double waitSeconds(WorkerSnapshot worker) {
        int n = worker.inFlight();
        int slots = Math.max(1, worker.slots());
        if (n < slots) {
            return 0;
        }
        return backlogSeconds(worker) * (n - slots + 1) / ((double) n * slots);
    }

    public static Estimate estimate(WorkerSnapshot worker, PlacementRequest request) {
        double service = serviceSeconds(worker, request);
        return new Estimate(service, waitSeconds(worker) + service, worker.profile().dynamicWatts() * service);
    }

    /** t_ij; the policies call these allocation-free forms once per worker and build the Estimate of the winner only. */
    static double serviceSeconds(WorkerSnapshot worker, PlacementRequest request) {
        return serviceSeconds(worker, request.promptTokens(), request.cachedOn(worker.id()), request.expectedOutputTokens());
    }

    static double finishSeconds(WorkerSnapshot worker, double serviceSeconds) {
        return waitSeconds(worker) + serviceSeconds;
    }

    static double joules(WorkerSnapshot worker, double serviceSeconds) {
        return worker.profile().dynamicWatts() * serviceSeconds;
    }

    /** Energy of a finished request from what it actually generated [J]. */
    public static double joules(WorkerSnapshot worker, int promptTokens, int outputTokens) {
        return worker.profile().dynamicWatts() * serviceSeconds(worker, promptTokens, 0, outputTokens);
    }
}

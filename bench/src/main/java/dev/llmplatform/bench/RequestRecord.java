package dev.llmplatform.bench;

/**
 * What one request measured, times in nanoseconds from its start.
 *
 * @param ttftNanos time to the first generated token (or -1 when none came)
 * @param latencyNanos time to the end of the response
 * @param interTokenNanos gap before each token after the first; a chunk carrying k tokens counts as k gaps of 1/k
 * @param error why the request failed, or null when it succeeded
 */
public record RequestRecord(int promptIndex, int inputTokens, int outputTokens, long ttftNanos, long latencyNanos,
                            double[] interTokenNanos, String error) {

    public boolean succeeded() {
        return error == null;
    }

    /** Time per output token after the first, as vLLM defines TPOT; NaN for responses of one token or none. */
    public double tpotNanos() {
        return outputTokens > 1 ? (double) (latencyNanos - ttftNanos) / (outputTokens - 1) : Double.NaN;
    }
}

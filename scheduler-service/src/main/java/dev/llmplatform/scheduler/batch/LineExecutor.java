package dev.llmplatform.scheduler.batch;

/** Runs one batch line through the scheduler and says what goes into the output or the error file. */
public interface LineExecutor {

    /**
     * @return the line's result; throws {@link io.grpc.StatusRuntimeException} RESOURCE_EXHAUSTED or UNAVAILABLE
     *         when the scheduler has no room now (the runner tries again later)
     */
    LineResult run(BatchLine line);

    /**
     * @param ok           true: the output file; false: the error file
     * @param line         the whole JSON line
     * @param inputTokens  the prompt's tokens, 0 for a line that did not run
     * @param outputTokens the generated tokens
     * @param estimatedJoules the line's energy as the cost model estimated it where it was placed, 0 if it did not run
     * @param measuredJoules  the line's measured time on its worker x the worker's dynamic watts, 0 if it did not run
     * @param workerId        the worker that finished the line, empty if none did
     * @param seconds         the line's wall time in the scheduler, from its call to its last chunk
     */
    record LineResult(boolean ok, String line, int inputTokens, int outputTokens, double estimatedJoules, double measuredJoules,
                      String workerId, double seconds) {

        LineResult(boolean ok, String line, int inputTokens, int outputTokens) {
            this(ok, line, inputTokens, outputTokens, 0, 0, "", 0);
        }

        /** A line that did not run (malformed, refused). */
        static LineResult error(String line) {
            return new LineResult(false, line, 0, 0);
        }
    }
}

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
     */
    record LineResult(boolean ok, String line, int inputTokens, int outputTokens) {

        /** A line that did not run (malformed, refused). */
        static LineResult error(String line) {
            return new LineResult(false, line, 0, 0);
        }
    }
}

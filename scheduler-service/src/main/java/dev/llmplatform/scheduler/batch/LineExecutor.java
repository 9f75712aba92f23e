package dev.llmplatform.scheduler.batch;

/** Runs one batch line through the scheduler and says what goes into the output or the error file. */
public interface LineExecutor {

    /**
     * @return the line's result; throws {@link io.grpc.StatusRuntimeException} RESOURCE_EXHAUSTED or UNAVAILABLE
     *         when the scheduler has no room now (the runner tries again later)
     */
    LineResult run(BatchLine line);

    /** @param ok true: the output file; false: the error file. {@code line} is the whole JSON line. */
    record LineResult(boolean ok, String line) {
    }
}

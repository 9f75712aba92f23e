package dev.llmplatform.scheduler.batch;

import java.util.Optional;

/** Shares a batch's remaining lines over the workers that serve their model. */
public interface BatchPlanning {

    String ENERGY_FIRST = "energy-first";
    String LATENCY_FIRST = "latency-first";

    /**
     * @param objective           {@link #ENERGY_FIRST}: the least energy that still finishes within the window (the
     *                            earliest finish when none does); {@link #LATENCY_FIRST}: the earliest finish
     * @param lines               lines still to run
     * @param promptTokensPerLine the lines' mean prompt [tokens]
     * @param maxTokensPerLine    the lines' mean max_tokens (0: none set)
     * @param outputTokensPerLine the mean output of the batch's lines run so far [tokens], NaN before there are
     *                            enough: then the scheduler's expectation for the model (observed lengths capped by
     *                            max_tokens) stands in
     * @param lineSeconds         per worker id, the mean wall time of the batch's lines it finished so far [s], for
     *                            workers that finished enough of them: it replaces the cost model's service time,
     *                            which counts the worker's compute only (a line also waits for tokenization, the
     *                            relay and the runner, and shares the worker with other traffic)
     * @param secondsLeft         what is left of the completion window [s]
     * @param linesPerWorker      lines of the batch in flight at once on one worker
     */
    record Request(String objective, String model, int lines, double promptTokensPerLine, int maxTokensPerLine,
                   double outputTokensPerLine, java.util.Map<String, Double> lineSeconds, double secondsLeft,
                   int linesPerWorker) {

        public Request {
            lineSeconds = java.util.Map.copyOf(lineSeconds);
        }
    }

    /** @return empty when no available worker serves the model now (nothing to plan on) */
    Optional<LinePlan> plan(Request request);
}

package dev.llmplatform.scheduler.batch;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What the batch runner did, for the scheduler dashboard's batch panels: lines, tokens and joules (estimated and
 * measured) of the lines it ran, and its current plan (each worker's share, the estimated finish and energy).
 */
public final class BatchMetrics {

    private final Counter linesCompleted;
    private final Counter linesFailed;
    private final Counter inputTokens;
    private final Counter outputTokens;
    private final Counter estimatedJoules;
    private final Counter measuredJoules;
    private final MultiGauge shares;
    private final AtomicReference<LinePlan> plan = new AtomicReference<>();

    public BatchMetrics(MeterRegistry meters) {
        linesCompleted = Counter.builder("scheduler.batch.lines").tag("outcome", "completed")
                .description("batch lines recorded in the output file").register(meters);
        linesFailed = Counter.builder("scheduler.batch.lines").tag("outcome", "failed")
                .description("batch lines recorded in the error file").register(meters);
        inputTokens = Counter.builder("scheduler.batch.tokens").tag("kind", "input").register(meters);
        outputTokens = Counter.builder("scheduler.batch.tokens").tag("kind", "output").register(meters);
        estimatedJoules = Counter.builder("scheduler.batch.energy").baseUnit("joules").tag("kind", "estimated")
                .description("energy of the batch lines run, as the cost model estimated it where each was placed").register(meters);
        measuredJoules = Counter.builder("scheduler.batch.energy").baseUnit("joules").tag("kind", "measured")
                .description("energy of the batch lines run: each line's measured time on its worker x the worker's dynamic watts")
                .register(meters);
        shares = MultiGauge.builder("scheduler.batch.plan.share")
                .description("the current batch plan's share of the remaining lines per worker").register(meters);
        Gauge.builder("scheduler.batch.plan.finish", plan, p -> p.get() == null ? 0 : p.get().finishSeconds()).baseUnit("seconds")
                .description("the current batch plan's estimated finish from when it was made").register(meters);
        Gauge.builder("scheduler.batch.plan.energy", plan, p -> p.get() == null ? 0 : p.get().joules()).baseUnit("joules")
                .description("the current batch plan's estimated energy").register(meters);
    }

    void recorded(LineExecutor.LineResult result) {
        (result.ok() ? linesCompleted : linesFailed).increment();
        inputTokens.increment(result.inputTokens());
        outputTokens.increment(result.outputTokens());
        estimatedJoules.increment(result.estimatedJoules());
        measuredJoules.increment(result.measuredJoules());
    }

    void planned(LinePlan current) {
        plan.set(current);
        shares.register(current == null ? List.of() : current.shares().entrySet().stream()
                .map(e -> MultiGauge.Row.of(Tags.of("worker", e.getKey()), e.getValue())).toList(), true);
    }
}

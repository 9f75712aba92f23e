package dev.llmplatform.scheduler.infra;

import dev.llmplatform.scheduler.domain.AdmissionQueue;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/** The scheduler's metrics, by the names the dashboards use (HELPERS.md; docs/scheduler.md). */
@Component
public class SchedulerMetrics {

    private final MeterRegistry meters;
    private final Set<Integer> gaugedPriorities = ConcurrentHashMap.newKeySet();
    private final Counter failovers;
    private final Counter resumes;

    public SchedulerMetrics(MeterRegistry meters) {
        this.meters = meters;
        this.failovers = Counter.builder("scheduler.failovers")
                .description("requests moved to another worker after a failure before their first token").register(meters);
        this.resumes = Counter.builder("scheduler.resumes")
                .description("streaming requests resumed on another worker, from the tokens already sent, after their worker failed")
                .register(meters);
        // registered before the first event, so dashboards and alerts see 0 rather than no series
        for (String reason : REJECTION_REASONS) {
            meters.counter("scheduler.admission.rejections", "reason", reason);
        }
        queueWaitTimer(0);
    }

    /** Every reason the dispatcher refuses a request for. */
    static final List<String> REJECTION_REASONS = List.of("no-ready-worker", "displaced", "queue-full", "queue-timeout");

    public void placed(String policy, String pool, double estimatedFinishSeconds) {
        placement(policy, pool, "placed");
        timer("scheduler.finish.estimated", pool).record(seconds(estimatedFinishSeconds));
    }

    public void placement(String policy, String pool, String outcome) {
        meters.counter("scheduler.placements", "policy", policy, "pool", pool, "outcome", outcome).increment();
    }

    public void finished(String pool, double actualSeconds, double joules, int tokens) {
        timer("scheduler.finish.actual", pool).record(seconds(actualSeconds));
        DistributionSummary.builder("scheduler.energy.joules").baseUnit("joules").tag("pool", pool)
                .publishPercentileHistogram().register(meters).record(joules);
        if (tokens > 0) {
            DistributionSummary.builder("scheduler.energy.per.token.joules").baseUnit("joules").tag("pool", pool)
                    .publishPercentileHistogram().register(meters).record(joules / tokens);
        }
    }

    public void failover() {
        failovers.increment();
    }

    public void resume() {
        resumes.increment();
    }

    public void rejected(String reason) {
        meters.counter("scheduler.admission.rejections", "reason", reason).increment();
    }

    public void queueWait(int priority, long nanos) {
        queueWaitTimer(priority).record(Duration.ofNanos(nanos));
    }

    private Timer queueWaitTimer(int priority) {
        return Timer.builder("scheduler.queue.wait").tag("priority", String.valueOf(priority)).publishPercentileHistogram()
                .register(meters);
    }

    public void queueDepth(int priority, AdmissionQueue<?> queue) {
        if (gaugedPriorities.add(priority)) {
            Gauge.builder("scheduler.queue.depth", queue, q -> q.size(priority)).tag("priority", String.valueOf(priority))
                    .register(meters);
        }
    }

    private Timer timer(String name, String pool) {
        return Timer.builder(name).tag("pool", pool).publishPercentileHistogram().register(meters);
    }

    private static Duration seconds(double seconds) {
        return Duration.ofNanos((long) Math.min(seconds * 1e9, Long.MAX_VALUE / 2.0));
    }
}

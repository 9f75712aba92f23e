package dev.llmplatform.scheduler.batch;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The batch runner (docs/batch.md).
 *
 * @param enabled      claim and run batches from the registry
 * @param runnerId     this runner's name in the registry's leases; empty = host name and process id. A runner that
 *                     restarts under the same name gets its batches back at once instead of after their lease
 * @param lease        how long a claimed batch stays this runner's without a renewal (renewed every third of it);
 *                     a runner that dies loses its batches to another after this long
 * @param pollInterval how often an idle runner asks the registry for work
 * @param concurrency  lines of one batch in flight at once
 * @param priority     the admission priority of batch lines: below every interactive request (default 0), so that
 *                     interactive traffic keeps its latency. Not Integer.MIN_VALUE: the admission queue negates it
 * @param retryWait    the wait before a line the scheduler had no room for (saturated, no worker) is tried again
 * @param lineTimeout  the gRPC deadline of one line's request
 * @param plan         how lines are shared over the workers: {@code energy-first} (the least energy that finishes
 *                     within the completion window) or {@code latency-first} (the earliest finish); a batch's
 *                     {@code batch_plan} metadata overrides it
 * @param replanInterval how often a running batch is planned again, with the speeds measured since
 * @param deadlineShare the share of the remaining window an energy-first plan aims to finish in: room for speeds
 *                     that dip and for interactive traffic taking slots
 */
@ConfigurationProperties("scheduler.batch")
public record BatchRunnerProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("") String runnerId,
        @DefaultValue("30s") Duration lease,
        @DefaultValue("2s") Duration pollInterval,
        @DefaultValue("2") int concurrency,
        @DefaultValue("-1000") int priority,
        @DefaultValue("1s") Duration retryWait,
        @DefaultValue("10m") Duration lineTimeout,
        @DefaultValue("energy-first") String plan,
        @DefaultValue("10s") Duration replanInterval,
        @DefaultValue("0.8") double deadlineShare) {

    public BatchRunnerProperties {
        if (!BatchPlanning.ENERGY_FIRST.equals(plan) && !BatchPlanning.LATENCY_FIRST.equals(plan)) {
            throw new IllegalArgumentException("scheduler.batch.plan must be energy-first or latency-first, got '" + plan + "'");
        }
    }
}

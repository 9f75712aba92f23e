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
        @DefaultValue("10m") Duration lineTimeout) {
}

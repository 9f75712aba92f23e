package dev.llmplatform.scheduler.discovery;

import dev.llmplatform.scheduler.config.SchedulerProperties;
import java.util.List;

/**
 * Takes the workers that a discovery found. Each call carries the complete current set (sorted by id): workers
 * missing from it have gone (scaled down, evicted, not ready) and are to be dropped; new ones are to be watched.
 * Workers configured statically (scheduler.workers) are not part of the set and stay.
 */
public interface WorkerMembership {

    void discovered(List<SchedulerProperties.Worker> workers);
}

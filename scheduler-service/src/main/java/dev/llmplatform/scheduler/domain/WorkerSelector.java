package dev.llmplatform.scheduler.domain;

import java.util.Collection;
import java.util.Set;

/** A placement policy over the heterogeneous worker pool. */
public interface WorkerSelector {

    /**
     * @param excluded workers that already failed this request
     */
    Placement select(String model, Collection<WorkerSnapshot> pool, Set<String> excluded);
}

package dev.llmplatform.scheduler.domain;

import java.util.List;

/**
 * A batch line's placement: the worker its batch's plan assigned it to, waiting for a slot there when that worker
 * is full (a plan that moved lines on whenever its worker was busy would not be the plan). When the worker is gone,
 * no longer serves the model, or already failed this line, the line is placed by {@code fallback} like any request:
 * the runner re-plans with the pool as it is now.
 */
public record PlannedWorkerPolicy(String workerId, PlacementPolicy fallback) implements PlacementPolicy {

    public static final String NAME = "batch-plan";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Placement select(PlacementRequest request, List<WorkerSnapshot> pool) {
        for (int i = 0, n = pool.size(); i < n; i++) {
            WorkerSnapshot worker = pool.get(i);
            if (!worker.id().equals(workerId)) {
                continue;
            }
            if (!worker.serves(request.model()) || request.excluded().contains(workerId)) {
                break;
            }
            return worker.saturated()
                    ? new Placement.Saturated("the worker planned for this line, " + workerId + ", is full")
                    : new Placement.Placed(worker, CostModel.estimate(worker, request));
        }
        return fallback.select(request, pool);
    }
}

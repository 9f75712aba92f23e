package dev.llmplatform.scheduler.domain;

import java.util.List;

/** The worker with the earliest estimated finish F_ij; ties go to the less utilised worker. */
public final class LatencyFirstPolicy implements PlacementPolicy {

    public static final String NAME = "latency-first";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Placement select(PlacementRequest request, List<WorkerSnapshot> pool) {
        WorkerSnapshot best = null;
        CostModel.Estimate bestEstimate = null;
        for (int i = 0, n = pool.size(); i < n; i++) {
            WorkerSnapshot worker = pool.get(i);
            if (!PlacementPolicy.eligible(worker, request)) {
                continue;
            }
            var estimate = CostModel.estimate(worker, request);
            if (best == null || estimate.finishSeconds() < bestEstimate.finishSeconds()
                    || (estimate.finishSeconds() == bestEstimate.finishSeconds() && worker.utilisation() < best.utilisation())) {
                best = worker;
                bestEstimate = estimate;
            }
        }
        return best == null ? PlacementPolicy.unplaceable(request, pool) : new Placement.Placed(best, bestEstimate);
    }
}

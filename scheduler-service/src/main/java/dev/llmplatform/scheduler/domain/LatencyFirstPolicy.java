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
        double bestFinish = Double.MAX_VALUE;
        for (int i = 0, n = pool.size(); i < n; i++) {
            WorkerSnapshot worker = pool.get(i);
            if (!PlacementPolicy.eligible(worker, request)) {
                continue;
            }
            double finish = CostModel.finishSeconds(worker, CostModel.serviceSeconds(worker, request));
            if (best == null || finish < bestFinish || (finish == bestFinish && worker.utilisation() < best.utilisation())) {
                best = worker;
                bestFinish = finish;
            }
        }
        return best == null ? PlacementPolicy.unplaceable(request, pool) : new Placement.Placed(best, CostModel.estimate(best, request));
    }
}

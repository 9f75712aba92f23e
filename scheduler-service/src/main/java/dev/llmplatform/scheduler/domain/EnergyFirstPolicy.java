package dev.llmplatform.scheduler.domain;

import java.util.List;

/**
 * The least energy J_ij among the workers whose estimated finish meets the request's deadline; when none meets
 * it, the earliest finish (a late answer still beats none).
 */
public final class EnergyFirstPolicy implements PlacementPolicy {

    public static final String NAME = "energy-first";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Placement select(PlacementRequest request, List<WorkerSnapshot> pool) {
        WorkerSnapshot frugal = null;
        double frugalJoules = Double.MAX_VALUE;
        double frugalFinish = Double.MAX_VALUE;
        WorkerSnapshot earliest = null;
        double earliestFinish = Double.MAX_VALUE;
        double deadline = request.finishWithinSeconds();
        for (int i = 0, n = pool.size(); i < n; i++) {
            WorkerSnapshot worker = pool.get(i);
            if (!PlacementPolicy.eligible(worker, request)) {
                continue;
            }
            double service = CostModel.serviceSeconds(worker, request);
            double finish = CostModel.finishSeconds(worker, service);
            double joules = CostModel.joules(worker, service);
            if (finish <= deadline && (frugal == null || joules < frugalJoules || (joules == frugalJoules && finish < frugalFinish))) {
                frugal = worker;
                frugalJoules = joules;
                frugalFinish = finish;
            }
            if (earliest == null || finish < earliestFinish) {
                earliest = worker;
                earliestFinish = finish;
            }
        }
        WorkerSnapshot chosen = frugal != null ? frugal : earliest;
        return chosen == null ? PlacementPolicy.unplaceable(request, pool) : new Placement.Placed(chosen, CostModel.estimate(chosen, request));
    }
}

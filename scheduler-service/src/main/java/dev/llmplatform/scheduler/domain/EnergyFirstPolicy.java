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
        CostModel.Estimate frugalEstimate = null;
        WorkerSnapshot earliest = null;
        CostModel.Estimate earliestEstimate = null;
        for (int i = 0, n = pool.size(); i < n; i++) {
            WorkerSnapshot worker = pool.get(i);
            if (!PlacementPolicy.eligible(worker, request)) {
                continue;
            }
            var estimate = CostModel.estimate(worker, request);
            if (estimate.finishSeconds() <= request.finishWithinSeconds() && (frugal == null
                    || estimate.joules() < frugalEstimate.joules()
                    || (estimate.joules() == frugalEstimate.joules() && estimate.finishSeconds() < frugalEstimate.finishSeconds()))) {
                frugal = worker;
                frugalEstimate = estimate;
            }
            if (earliest == null || estimate.finishSeconds() < earliestEstimate.finishSeconds()) {
                earliest = worker;
                earliestEstimate = estimate;
            }
        }
        if (frugal != null) {
            return new Placement.Placed(frugal, frugalEstimate);
        }
        return earliest == null ? PlacementPolicy.unplaceable(request, pool) : new Placement.Placed(earliest, earliestEstimate);
    }
}

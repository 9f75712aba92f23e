package dev.llmplatform.scheduler.domain;

import java.util.List;

/**
 * A weighted sum of time and energy, each relative to the best worker for it, so that neither unit dominates:
 * score_i = w · F_ij / min F + (1 − w) · J_ij / min J; the lowest score wins.
 */
public final class BalancedPolicy implements PlacementPolicy {

    public static final String NAME = "balanced";
    private static final double TINY = 1e-12;

    private final double timeWeight;

    /** @param timeWeight w in [0, 1]: 1 is latency-first, 0 is energy-first without a deadline */
    public BalancedPolicy(double timeWeight) {
        if (timeWeight < 0 || timeWeight > 1) {
            throw new IllegalArgumentException("the time weight must be between 0 and 1, got " + timeWeight);
        }
        this.timeWeight = timeWeight;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Placement select(PlacementRequest request, List<WorkerSnapshot> pool) {
        int n = pool.size();
        double minFinish = Double.MAX_VALUE;
        double minJoules = Double.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            WorkerSnapshot worker = pool.get(i);
            if (PlacementPolicy.eligible(worker, request)) {
                double service = CostModel.serviceSeconds(worker, request);
                minFinish = Math.min(minFinish, CostModel.finishSeconds(worker, service));
                minJoules = Math.min(minJoules, CostModel.joules(worker, service));
            }
        }
        if (minFinish == Double.MAX_VALUE) {
            return PlacementPolicy.unplaceable(request, pool);
        }
        // the second pass recomputes rather than storing: cheaper than two arrays per decision
        double finishScale = timeWeight / Math.max(minFinish, TINY);
        double joulesScale = (1 - timeWeight) / Math.max(minJoules, TINY);
        WorkerSnapshot best = null;
        double bestScore = Double.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            WorkerSnapshot worker = pool.get(i);
            if (!PlacementPolicy.eligible(worker, request)) {
                continue;
            }
            double service = CostModel.serviceSeconds(worker, request);
            double score = finishScale * CostModel.finishSeconds(worker, service) + joulesScale * CostModel.joules(worker, service);
            if (score < bestScore) {
                bestScore = score;
                best = worker;
            }
        }
        return new Placement.Placed(best, CostModel.estimate(best, request));
    }
}

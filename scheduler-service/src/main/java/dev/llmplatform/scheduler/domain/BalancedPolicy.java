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
        double[] finish = new double[n];
        double[] joules = new double[n];
        double minFinish = Double.MAX_VALUE;
        double minJoules = Double.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            WorkerSnapshot worker = pool.get(i);
            if (!PlacementPolicy.eligible(worker, request)) {
                finish[i] = Double.NaN;
                continue;
            }
            var estimate = CostModel.estimate(worker, request);
            finish[i] = estimate.finishSeconds();
            joules[i] = estimate.joules();
            minFinish = Math.min(minFinish, finish[i]);
            minJoules = Math.min(minJoules, joules[i]);
        }
        int best = -1;
        double bestScore = Double.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            if (Double.isNaN(finish[i])) {
                continue;
            }
            double score = timeWeight * finish[i] / Math.max(minFinish, TINY)
                    + (1 - timeWeight) * joules[i] / Math.max(minJoules, TINY);
            if (score < bestScore) {
                bestScore = score;
                best = i;
            }
        }
        if (best < 0) {
            return PlacementPolicy.unplaceable(request, pool);
        }
        WorkerSnapshot chosen = pool.get(best);
        return new Placement.Placed(chosen, CostModel.estimate(chosen, request));
    }
}

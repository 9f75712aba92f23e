package dev.llmplatform.scheduler.batch;

import java.util.HashMap;
import java.util.Map;

/**
 * Deals lines to workers in proportion to a plan's shares as they are read, so that at any point each worker has
 * had its share of the lines dealt so far (within one line): the worker furthest behind its share gets the next.
 */
final class LineAssignment {

    private final Map<String, Double> shares;
    private final Map<String, Integer> dealt = new HashMap<>();
    private int total;

    LineAssignment(Map<String, Double> shares) {
        if (shares.isEmpty()) {
            throw new IllegalArgumentException("a plan without workers");
        }
        this.shares = Map.copyOf(shares);
    }

    synchronized String next() {
        String best = null;
        double bestDeficit = Double.NEGATIVE_INFINITY;
        for (var share : shares.entrySet()) {
            double deficit = share.getValue() * (total + 1) - dealt.getOrDefault(share.getKey(), 0);
            if (deficit > bestDeficit || (deficit == bestDeficit && share.getKey().compareTo(best) < 0)) {
                best = share.getKey();
                bestDeficit = deficit;
            }
        }
        dealt.merge(best, 1, Integer::sum);
        total++;
        return best;
    }
}

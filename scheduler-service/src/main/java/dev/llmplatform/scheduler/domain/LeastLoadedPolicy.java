package dev.llmplatform.scheduler.domain;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Baseline: the eligible worker with the fewest sequences per slot, blind to speed and energy; ties rotate so
 * that an idle pool is used evenly.
 */
public final class LeastLoadedPolicy implements PlacementPolicy {

    public static final String NAME = "least-loaded";

    private final AtomicLong turn = new AtomicLong();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Placement select(PlacementRequest request, List<WorkerSnapshot> pool) {
        double least = Double.MAX_VALUE;
        int tied = 0;
        for (WorkerSnapshot worker : pool) {
            if (!PlacementPolicy.eligible(worker, request)) {
                continue;
            }
            double utilisation = worker.utilisation();
            if (utilisation < least) {
                least = utilisation;
                tied = 1;
            } else if (utilisation == least) {
                tied++;
            }
        }
        if (tied == 0) {
            return PlacementPolicy.unplaceable(request, pool);
        }
        long pick = Math.floorMod(turn.getAndIncrement(), (long) tied);
        for (WorkerSnapshot worker : pool) {
            if (PlacementPolicy.eligible(worker, request) && worker.utilisation() == least && pick-- == 0) {
                return new Placement.Placed(worker, CostModel.estimate(worker, request));
            }
        }
        throw new IllegalStateException("the pool changed while it was read");
    }
}

package dev.llmplatform.scheduler.domain;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Baseline: the eligible workers in turn, blind to speed, load and energy. */
public final class RoundRobinPolicy implements PlacementPolicy {

    public static final String NAME = "round-robin";

    private final AtomicLong turn = new AtomicLong();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Placement select(PlacementRequest request, List<WorkerSnapshot> pool) {
        int eligible = 0;
        for (WorkerSnapshot worker : pool) {
            if (PlacementPolicy.eligible(worker, request)) {
                eligible++;
            }
        }
        if (eligible == 0) {
            return PlacementPolicy.unplaceable(request, pool);
        }
        long pick = Math.floorMod(turn.getAndIncrement(), (long) eligible);
        for (WorkerSnapshot worker : pool) {
            if (PlacementPolicy.eligible(worker, request) && pick-- == 0) {
                return new Placement.Placed(worker, CostModel.estimate(worker, request));
            }
        }
        throw new IllegalStateException("the pool changed while it was read");
    }
}

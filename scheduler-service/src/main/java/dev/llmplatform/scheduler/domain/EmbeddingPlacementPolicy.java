package dev.llmplatform.scheduler.domain;

import java.util.List;

/**
 * Embeddings: the least busy available worker that serves the model, however full its generation slots are.
 * A worker embeds with its own encoder, which those slots do not bound, so an embedding never waits in the queue
 * behind generation; it is refused only when no worker that serves the model is ready.
 */
public final class EmbeddingPlacementPolicy implements PlacementPolicy {

    public static final String NAME = "embedding";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Placement select(PlacementRequest request, List<WorkerSnapshot> pool) {
        WorkerSnapshot least = null;
        for (WorkerSnapshot worker : pool) {
            if (worker.serves(request.model()) && !request.excluded().contains(worker.id())
                    && (least == null || worker.utilisation() < least.utilisation())) {
                least = worker;
            }
        }
        return least == null ? PlacementPolicy.unplaceable(request, pool) : new Placement.Placed(least, CostModel.estimate(least, request));
    }
}

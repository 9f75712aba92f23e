package dev.llmplatform.scheduler.domain;

import java.util.List;

/**
 * A placement policy over the heterogeneous worker pool: picks one eligible worker (available, serving the
 * model, not excluded, not full) or says why there is none.
 */
public interface PlacementPolicy {

    /** The name a deployment or a request selects it by (x-llm-placement-policy). */
    String name();

    Placement select(PlacementRequest request, List<WorkerSnapshot> pool);

    static boolean eligible(WorkerSnapshot worker, PlacementRequest request) {
        return worker.serves(request.model()) && !worker.saturated() && !request.excluded().contains(worker.id());
    }

    /** Why no worker was eligible: nobody knows the model, nobody is ready for it, or everybody ready is full. */
    static Placement unplaceable(PlacementRequest request, List<WorkerSnapshot> pool) {
        boolean known = false;
        boolean ready = false;
        for (WorkerSnapshot worker : pool) {
            if (worker.knows(request.model())) {
                known = true;
                ready |= worker.available() && !request.excluded().contains(worker.id());
            }
        }
        if (!known) {
            return new Placement.UnknownModel(request.model());
        }
        String failed = request.excluded().isEmpty() ? "" : " (failed: " + request.excluded() + ")";
        return ready
                ? new Placement.Saturated("every ready worker serving model '" + request.model() + "' is full" + failed)
                : new Placement.NoCapacity("no ready worker serves model '" + request.model() + "'" + failed);
    }
}

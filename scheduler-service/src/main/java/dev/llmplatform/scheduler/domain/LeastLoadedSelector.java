package dev.llmplatform.scheduler.domain;

import java.util.Collection;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends each request to the ready worker with the fewest sequences per slot; ties rotate so that an idle pool
 * is used evenly.
 */
public final class LeastLoadedSelector implements WorkerSelector {

    private final AtomicLong turn = new AtomicLong();

    @Override
    public Placement select(String model, Collection<WorkerSnapshot> pool, Set<String> excluded) {
        var known = pool.stream().filter(w -> w.contextLengths().containsKey(model)).toList();
        if (known.isEmpty()) {
            return new Placement.UnknownModel(model);
        }
        var candidates = known.stream().filter(w -> w.serves(model) && !excluded.contains(w.id())).toList();
        if (candidates.isEmpty()) {
            return new Placement.NoCapacity("no ready worker serves model '" + model + "'");
        }
        double least = candidates.stream().mapToDouble(WorkerSnapshot::utilisation).min().orElseThrow();
        var tied = candidates.stream().filter(w -> w.utilisation() == least)
                .sorted(Comparator.comparing(WorkerSnapshot::id)).toList();
        return new Placement.Placed(tied.get((int) Math.floorMod(turn.getAndIncrement(), (long) tied.size())));
    }
}

package dev.llmplatform.scheduler.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LeastLoadedSelectorTest {

    private final LeastLoadedSelector selector = new LeastLoadedSelector();

    private static WorkerSnapshot worker(String id, boolean ready, int running, int waiting, String... models) {
        Map<String, Integer> contexts = new java.util.HashMap<>();
        for (String m : models) {
            contexts.put(m, 512);
        }
        return new WorkerSnapshot(id, "cpu", ready, contexts, running, waiting, 4, 10);
    }

    @Test
    void placesOnTheWorkerWithTheFewestSequencesPerSlot() {
        var busy = worker("a", true, 4, 2, "m");
        var idle = worker("b", true, 1, 0, "m");

        assertThat(selector.select("m", List.of(busy, idle), Set.of()))
                .isEqualTo(new Placement.Placed(idle));
    }

    @Test
    void rotatesBetweenEquallyLoadedWorkers() {
        var a = worker("a", true, 0, 0, "m");
        var b = worker("b", true, 0, 0, "m");

        var first = selector.select("m", List.of(a, b), Set.of());
        var second = selector.select("m", List.of(a, b), Set.of());

        assertThat(List.of(first, second)).containsExactlyInAnyOrder(new Placement.Placed(a), new Placement.Placed(b));
    }

    @Test
    void skipsWorkersThatAreNotReadyOrAlreadyFailedTheRequest() {
        var notReady = worker("a", false, 0, 0, "m");
        var failed = worker("b", true, 0, 0, "m");
        var healthy = worker("c", true, 3, 0, "m");

        assertThat(selector.select("m", List.of(notReady, failed, healthy), Set.of("b")))
                .isEqualTo(new Placement.Placed(healthy));
    }

    @Test
    void aModelNoWorkerKnowsIsUnknownButAKnownOneWithoutReadyWorkersLacksCapacity() {
        var notReady = worker("a", false, 0, 0, "m");

        assertThat(selector.select("other", List.of(notReady), Set.of())).isInstanceOf(Placement.UnknownModel.class);
        assertThat(selector.select("m", List.of(notReady), Set.of())).isInstanceOf(Placement.NoCapacity.class);
    }
}

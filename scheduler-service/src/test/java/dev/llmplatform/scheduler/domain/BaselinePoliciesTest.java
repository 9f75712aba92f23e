package dev.llmplatform.scheduler.domain;

import static dev.llmplatform.scheduler.domain.Workers.worker;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BaselinePoliciesTest {

    private final PlacementRequest request = PlacementRequest.of("m", 10, 10);

    private static List<String> placements(PlacementPolicy policy, PlacementRequest request, List<WorkerSnapshot> pool, int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(((Placement.Placed) policy.select(request, pool)).worker().id());
        }
        return ids;
    }

    @Test
    void roundRobinTakesTheEligibleWorkersInTurnWhateverTheirSpeed() {
        var pool = List.of(worker("a").speed(1, 1).snapshot(), worker("b").down().snapshot(), worker("c").speed(1e6, 1e6).snapshot());

        assertThat(placements(new RoundRobinPolicy(), request, pool, 4)).containsExactly("a", "c", "a", "c");
    }

    @Test
    void leastLoadedPicksTheFewestSequencesPerSlot() {
        var busy = worker("busy").slots(4, 4).busy(6, 0, 0).snapshot();
        var idle = worker("idle").slots(4, 4).busy(1, 0, 0).snapshot();

        assertThat(placements(new LeastLoadedPolicy(), request, List.of(busy, idle), 1)).containsExactly("idle");
    }

    @Test
    void leastLoadedRotatesBetweenEquallyLoadedWorkers() {
        var pool = List.of(worker("a").snapshot(), worker("b").snapshot());

        assertThat(placements(new LeastLoadedPolicy(), request, pool, 2)).containsExactlyInAnyOrder("a", "b");
    }

    @Test
    void baselinesAlsoSayWhyNothingCanBePlaced() {
        var down = List.of(worker("a").down().snapshot());

        assertThat(new RoundRobinPolicy().select(request, down)).isInstanceOf(Placement.NoCapacity.class);
        assertThat(new LeastLoadedPolicy().select(PlacementRequest.of("x", 1, 1), down)).isInstanceOf(Placement.UnknownModel.class);
    }

    @Test
    void policiesAreChosenByNameWithTheDeploymentDefaultForNone() {
        var policies = PlacementPolicies.standard("energy-first", 0.5);

        assertThat(policies.resolve("").orElseThrow().name()).isEqualTo("energy-first");
        assertThat(policies.resolve("Latency-First").orElseThrow().name()).isEqualTo("latency-first");
        assertThat(policies.resolve("fastest")).isEmpty();
        assertThat(policies.names()).containsExactly("latency-first", "energy-first", "balanced", "round-robin", "least-loaded");
    }
}

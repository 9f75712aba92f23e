package dev.llmplatform.scheduler.domain;

import static dev.llmplatform.scheduler.domain.Workers.worker;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LatencyFirstPolicyTest {

    private final LatencyFirstPolicy policy = new LatencyFirstPolicy();
    private final PlacementRequest request = PlacementRequest.of("m", 100, 50);

    private static String placedOn(Placement placement) {
        assertThat(placement).isInstanceOf(Placement.Placed.class);
        return ((Placement.Placed) placement).worker().id();
    }

    @Test
    void anIdlePoolSendsTheRequestToTheFasterWorker() {
        var slow = worker("slow").speed(1000, 50).snapshot();
        var fast = worker("fast").speed(1000, 200).snapshot();

        assertThat(placedOn(policy.select(request, List.of(slow, fast)))).isEqualTo("fast");
    }

    @Test
    void aFastWorkerWithALongQueueLosesToASlowerIdleOne() {
        var slow = worker("slow").speed(1000, 50).snapshot();                  // 0.1 + 1 s
        var fast = worker("fast").speed(1000, 200).slots(2, 10).busy(6, 0, 2000).snapshot(); // waits 10 s · 5/12

        assertThat(placedOn(policy.select(request, List.of(slow, fast)))).isEqualTo("slow");
    }

    @Test
    void aCachedPrefixTipsTheBalanceTowardsTheWorkerHoldingIt() {
        // equal decode; prefill 100 tokens at 100 tok/s is 1 s, which the cache saves on "b"
        var a = worker("a").speed(100, 100).snapshot();
        var b = worker("b").speed(100, 95).snapshot();
        var withPrefix = new PlacementRequest("m", 100, 50, Double.MAX_VALUE, Map.of("b", 96), Set.of());

        assertThat(placedOn(policy.select(request, List.of(a, b)))).isEqualTo("a");
        assertThat(placedOn(policy.select(withPrefix, List.of(a, b)))).isEqualTo("b");
    }

    @Test
    void skipsWorkersThatAreDownFullOrAlreadyFailedTheRequest() {
        var down = worker("down").speed(1000, 1000).down().snapshot();
        var full = worker("full").speed(1000, 1000).slots(1, 1).busy(2, 0, 10).snapshot();
        var failed = worker("failed").speed(1000, 1000).snapshot();
        var slow = worker("slow").speed(10, 10).snapshot();

        assertThat(placedOn(policy.select(request.excluding(Set.of("failed")), List.of(down, full, failed, slow))))
                .isEqualTo("slow");
    }

    @Test
    void saysWhyNothingCanBePlaced() {
        var full = worker("full").slots(1, 0).busy(1, 0, 10).snapshot();
        var down = worker("down").down().snapshot();

        assertThat(policy.select(PlacementRequest.of("other", 1, 1), List.of(full))).isInstanceOf(Placement.UnknownModel.class);
        assertThat(policy.select(request, List.of(down))).isInstanceOf(Placement.NoCapacity.class);
        assertThat(policy.select(request, List.of(full, down))).isInstanceOf(Placement.Saturated.class);
    }
}

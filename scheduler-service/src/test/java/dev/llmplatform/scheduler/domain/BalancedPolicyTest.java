package dev.llmplatform.scheduler.domain;

import static dev.llmplatform.scheduler.domain.Workers.worker;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class BalancedPolicyTest {

    // fast: 0.5 s at 300 W = 150 J; frugal: 1 s at 50 W = 50 J; middle: 0.6 s at 100 W = 60 J
    private final WorkerSnapshot fast = worker("fast").speed(1e9, 200).profile(new DeviceProfile(350, 50, 1, 1)).snapshot();
    private final WorkerSnapshot frugal = worker("frugal").speed(1e9, 100).profile(Workers.CPU).snapshot();
    private final WorkerSnapshot middle = worker("middle").speed(1e9, 100 / 0.6).profile(new DeviceProfile(110, 10, 1, 1)).snapshot();
    private final PlacementRequest request = PlacementRequest.of("m", 0, 100);

    private String placedOn(double timeWeight, List<WorkerSnapshot> pool) {
        return ((Placement.Placed) new BalancedPolicy(timeWeight).select(request, pool)).worker().id();
    }

    @Test
    void allWeightOnTimeIsLatencyFirstAndNoneIsLeastEnergy() {
        assertThat(placedOn(1, List.of(fast, frugal))).isEqualTo("fast");
        assertThat(placedOn(0, List.of(fast, frugal))).isEqualTo("frugal");
    }

    @Test
    void anEvenWeightPicksTheWorkerThatIsNearlyBestOnBoth() {
        // scores: fast 0.5·1 + 0.5·3 = 2; frugal 0.5·2 + 0.5·1 = 1.5; middle 0.5·1.2 + 0.5·1.2 = 1.2
        assertThat(placedOn(0.5, List.of(fast, frugal, middle))).isEqualTo("middle");
    }

    @Test
    void refusesAWeightOutsideZeroToOne() {
        assertThatThrownBy(() -> new BalancedPolicy(1.5)).isInstanceOf(IllegalArgumentException.class);
    }
}

package dev.llmplatform.scheduler.domain;

import static dev.llmplatform.scheduler.domain.Workers.worker;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class EnergyFirstPolicyTest {

    private final EnergyFirstPolicy policy = new EnergyFirstPolicy();

    // cpu: 50 W dynamic at 100 tok/s decode = 2 tokens per joule; gpu: 300 W at 1000 tok/s = 3.3 tokens per joule
    private final WorkerSnapshot cpu = worker("cpu").speed(1000, 100).profile(Workers.CPU).snapshot();
    private final WorkerSnapshot gpu = worker("gpu").speed(10000, 1000).profile(Workers.GPU).snapshot();
    private final WorkerSnapshot slowGpu = worker("slow-gpu").speed(10000, 100).profile(Workers.GPU).snapshot();

    @Test
    void picksTheWorkerThatSpendsTheLeastEnergyOnTheRequest() {
        var placement = (Placement.Placed) policy.select(PlacementRequest.of("m", 0, 100), List.of(cpu, gpu));

        assertThat(placement.worker().id()).isEqualTo("gpu");
        assertThat(placement.estimate().joules()).isCloseTo(300 * 0.1, within(1e-9));
    }

    @Test
    void aFastButWastefulWorkerLosesWhenTheEfficientOneMeetsTheDeadline() {
        // slow-gpu: 300 W for 1 s = 300 J; cpu: 50 W for 1 s = 50 J
        var placement = (Placement.Placed) policy.select(PlacementRequest.of("m", 0, 100).finishingWithin(5), List.of(slowGpu, cpu));

        assertThat(placement.worker().id()).isEqualTo("cpu");
    }

    @Test
    void theDeadlineRulesOutTheEfficientWorkerWhenItWouldFinishTooLate() {
        var busyCpu = worker("cpu").speed(1000, 100).slots(1, 5).busy(3, 0, 900).snapshot(); // waits 9 s · 3/3
        var request = PlacementRequest.of("m", 0, 100).finishingWithin(2);

        assertThat(((Placement.Placed) policy.select(request, List.of(busyCpu, slowGpu))).worker().id()).isEqualTo("slow-gpu");
    }

    @Test
    void whenNoWorkerMeetsTheDeadlineTheEarliestFinishWins() {
        var request = PlacementRequest.of("m", 0, 1000).finishingWithin(0.5);

        assertThat(((Placement.Placed) policy.select(request, List.of(cpu, slowGpu, gpu))).worker().id()).isEqualTo("gpu");
    }
}

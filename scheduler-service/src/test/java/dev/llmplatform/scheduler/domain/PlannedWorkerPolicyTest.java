package dev.llmplatform.scheduler.domain;

import static dev.llmplatform.scheduler.domain.Workers.worker;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A batch line goes to the worker its plan dealt it to, waits for it when it is full, and falls back when it is gone. */
class PlannedWorkerPolicyTest {

    private final PlacementPolicy planned = new PlannedWorkerPolicy("cpu", new LatencyFirstPolicy());
    private final WorkerSnapshot cpu = worker("cpu").speed(1000, 100).snapshot();
    private final WorkerSnapshot gpu = worker("gpu").speed(10000, 1000).profile(Workers.GPU).snapshot();

    @Test
    void placesOnThePlannedWorkerEvenWhenAnotherWouldBeFaster() {
        var placement = planned.select(PlacementRequest.of("m", 10, 10), List.of(gpu, cpu));

        assertThat(((Placement.Placed) placement).worker().id()).isEqualTo("cpu");
    }

    @Test
    void waitsForThePlannedWorkerWhenItIsFull() {
        var full = worker("cpu").slots(1, 0).busy(1, 0, 100).snapshot();

        assertThat(planned.select(PlacementRequest.of("m", 10, 10), List.of(gpu, full))).isInstanceOf(Placement.Saturated.class);
    }

    @Test
    void fallsBackToItsPolicyWhenThePlannedWorkerIsGoneDownOrFailedTheLine() {
        var request = PlacementRequest.of("m", 10, 10);

        assertThat(((Placement.Placed) planned.select(request, List.of(gpu))).worker().id()).isEqualTo("gpu");
        assertThat(((Placement.Placed) planned.select(request, List.of(gpu, worker("cpu").down().snapshot()))).worker().id())
                .isEqualTo("gpu");
        assertThat(((Placement.Placed) planned.select(request.excluding(Set.of("cpu")), List.of(gpu, cpu))).worker().id())
                .isEqualTo("gpu");
    }
}

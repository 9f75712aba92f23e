package dev.llmplatform.scheduler.domain;

import static dev.llmplatform.scheduler.domain.Workers.worker;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CostModelTest {

    @Test
    void anIdleWorkerFinishesAfterPrefillAndDecodeAtItsMeasuredSpeeds() {
        var w = worker("a").speed(500, 50).snapshot();

        var estimate = CostModel.estimate(w, PlacementRequest.of("m", 100, 20));

        // 100 / 500 + 20 / 50 = 0.2 + 0.4 s; 50 W dynamic × 0.6 s = 30 J
        assertThat(estimate.serviceSeconds()).isCloseTo(0.6, within(1e-12));
        assertThat(estimate.finishSeconds()).isCloseTo(0.6, within(1e-12));
        assertThat(estimate.joules()).isCloseTo(30, within(1e-9));
    }

    @Test
    void promptTokensTheWorkerAlreadyHoldsCostNoPrefill() {
        var w = worker("a").speed(500, 50).snapshot();
        var request = new PlacementRequest("m", 100, 20, Double.MAX_VALUE, Map.of("a", 64), Set.of());

        assertThat(CostModel.estimate(w, request).serviceSeconds()).isCloseTo(36 / 500.0 + 0.4, within(1e-12));
    }

    @Test
    void withAllSlotsTakenTheRequestWaitsForItsShareOfTheBacklog() {
        // 2 slots, 4 requests in flight with 200 prompt and 400 output tokens left: B = 0.2 + 4 = 4.2 s
        var w = worker("a").speed(1000, 100).slots(2, 4).busy(4, 200, 400).snapshot();

        double wait = 4.2 * (4 - 2 + 1) / (4.0 * 2);
        assertThat(CostModel.waitSeconds(w)).isCloseTo(wait, within(1e-12));
        assertThat(CostModel.estimate(w, PlacementRequest.of("m", 100, 10)).finishSeconds())
                .isCloseTo(wait + 0.1 + 0.1, within(1e-12));
    }

    @Test
    void aFreeSlotMeansNoWait() {
        var w = worker("a").slots(4, 1).busy(3, 500, 500).snapshot();

        assertThat(CostModel.waitSeconds(w)).isZero();
    }
}

package dev.llmplatform.scheduler.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.llmplatform.scheduler.domain.DeviceProfile;
import dev.llmplatform.scheduler.domain.OutputLengths;
import dev.llmplatform.scheduler.domain.WorkerSnapshot;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A batch's lines over a pool of two workers of different efficiency: a fast one that spends more energy per line
 * ("gpu": 1 s and 300 J a line) and a slow frugal one ("cpu": 4 s and 100 J a line), one line in flight on each.
 */
class PoolBatchPlanningTest {

    // a line: 100 prompt tokens and 100 output tokens
    private final WorkerSnapshot gpu = worker("gpu", 200, 200, new DeviceProfile(350, 50, 1000, 100));
    private final WorkerSnapshot cpu = worker("cpu", 50, 50, new DeviceProfile(40, 15, 1000, 100));
    private final OutputLengths maxTokens = new OutputLengths(false, 0.2);

    private LinePlan plan(String objective, int lines, double windowSeconds, WorkerSnapshot... pool) {
        return new PoolBatchPlanning(() -> List.of(pool), maxTokens, 0.8)
                .plan(new BatchPlanning.Request(objective, "m", lines, 100, 100, Double.NaN, Map.of(), windowSeconds, 1)).orElseThrow();
    }

    @Test
    void energyFirstRunsEverythingOnTheFrugalWorkerWhenItFinishesWithinTheWindow() {
        LinePlan plan = plan(BatchPlanning.ENERGY_FIRST, 10, 3600, gpu, cpu);

        assertThat(plan.shares()).containsOnlyKeys("cpu");
        assertThat(plan.finishSeconds()).isCloseTo(40, within(1e-6));
        assertThat(plan.joules()).isCloseTo(10 * 100, within(1e-6));
        assertThat(plan.impossible()).isFalse();
    }

    @Test
    void energyFirstFillsTheFrugalWorkerUpToTheWindowAndGivesTheRestToTheFastOne() {
        // 80% of 50 s = 40 s: the cpu does 10 lines in that time, the gpu the other 20
        LinePlan plan = plan(BatchPlanning.ENERGY_FIRST, 30, 50, gpu, cpu);

        assertThat(plan.shares().get("cpu")).isCloseTo(1 / 3.0, within(1e-9));
        assertThat(plan.shares().get("gpu")).isCloseTo(2 / 3.0, within(1e-9));
        assertThat(plan.joules()).isCloseTo(10 * 100 + 20 * 300, within(1e-6));
    }

    @Test
    void latencyFirstSharesByCapacityAndSpendsMore() {
        LinePlan latency = plan(BatchPlanning.LATENCY_FIRST, 10, 3600, gpu, cpu);
        LinePlan energy = plan(BatchPlanning.ENERGY_FIRST, 10, 3600, gpu, cpu);

        assertThat(latency.shares().get("gpu")).isCloseTo(0.8, within(1e-9));
        assertThat(latency.shares().get("cpu")).isCloseTo(0.2, within(1e-9));
        assertThat(latency.finishSeconds()).isCloseTo(8, within(1e-6));
        assertThat(latency.joules()).isGreaterThan(energy.joules());
        assertThat(latency.finishSeconds()).isLessThan(energy.finishSeconds());
    }

    @Test
    void aWindowShorterThanTheEarliestFinishIsImpossibleAndThePlanIsTheEarliest() {
        // 10 lines at 1.25 lines/s at best: 8 s
        LinePlan plan = plan(BatchPlanning.ENERGY_FIRST, 10, 5, gpu, cpu);

        assertThat(plan.impossible()).isTrue();
        assertThat(plan.earliestSeconds()).isCloseTo(8, within(1e-6));
        assertThat(plan.shares().get("gpu")).isCloseTo(0.8, within(1e-9));
        assertThat(plan.describe()).contains("energy-first", "cpu 20%", "gpu 80%", "10 lines of m");
    }

    @Test
    void onlyWorkersServingTheModelArePlannedOnAndWithoutAnyThereIsNoPlan() {
        WorkerSnapshot other = new WorkerSnapshot("other", "cpu", true, Map.of("other-model", 512), 0, 0, 1, 1, 50, 50, 0,
                new DeviceProfile(20, 15, 1000, 100), 0, 0, 0);
        var planning = new PoolBatchPlanning(() -> List.of(other), maxTokens, 0.8);

        assertThat(planning.plan(new BatchPlanning.Request(BatchPlanning.ENERGY_FIRST, "m", 10, 100, 100, Double.NaN, Map.of(), 3600, 1))).isEmpty();
        assertThat(plan(BatchPlanning.ENERGY_FIRST, 10, 3600, other, gpu).shares()).containsOnlyKeys("gpu");
    }

    @Test
    void theMeasuredOutputOfLinesRunSoFarReplacesMaxTokens() {
        var planning = new PoolBatchPlanning(() -> List.of(cpu), maxTokens, 0.8);

        // 100 prompt tokens and 10 output tokens: 2 + 0.2 s a line
        LinePlan measured = planning.plan(new BatchPlanning.Request(BatchPlanning.ENERGY_FIRST, "m", 10, 100, 100, 10, Map.of(), 3600, 1)).orElseThrow();

        assertThat(measured.finishSeconds()).isCloseTo(10 * 2.2, within(1e-6));
    }

    @Test
    void theMeasuredWallTimeOfTheBatchsLinesOnAWorkerReplacesTheCostModelsEstimate() {
        var planning = new PoolBatchPlanning(() -> List.of(gpu, cpu), maxTokens, 0.8);

        // the frugal worker's lines really take 10 s, not 4: within 80% of 100 s it does 8 of the 30 lines
        LinePlan measured = planning.plan(new BatchPlanning.Request(BatchPlanning.ENERGY_FIRST, "m", 30, 100, 100, Double.NaN,
                Map.of("cpu", 10.0), 100, 1)).orElseThrow();

        assertThat(measured.shares().get("cpu")).isCloseTo(8 / 30.0, within(1e-9));
        assertThat(measured.shares().get("gpu")).isCloseTo(22 / 30.0, within(1e-9));
    }

    private static WorkerSnapshot worker(String id, double prefill, double decode, DeviceProfile profile) {
        return new WorkerSnapshot(id, id, true, Map.of("m", 512), 0, 0, 4, 4, prefill, decode, 0, profile, 0, 0, 0);
    }
}

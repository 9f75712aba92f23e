package dev.llmplatform.scheduler.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.llmplatform.scheduler.domain.BatchPlanner.Allocation;
import dev.llmplatform.scheduler.domain.BatchPlanner.Platform;
import dev.llmplatform.scheduler.domain.BatchPlanner.Task;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchPlannerTest {

    private final BatchPlanner planner = new BatchPlanner();
    private final Platform a = new Platform("A", 1.0, 2.0);
    private final Platform b = new Platform("B", 1.5, 3.0);
    private final List<Task> tasks = List.of(new Task("t100", 100), new Task("t200", 200), new Task("t300", 300));

    @Test
    void bothPlatformsFinishTogetherAt240WithTheMiddleTaskSplit() {
        var plan = planner.minimiseMakespan(tasks, List.of(a, b));

        assertThat(plan.makespanSeconds()).isCloseTo(240, within(1e-9));
        assertThat(plan.allocations()).usingRecursiveFieldByFieldElementComparatorOnFields("taskId", "platformId")
                .containsExactlyInAnyOrder(
                        new Allocation("t300", "B", 300), new Allocation("t200", "B", 60),
                        new Allocation("t200", "A", 140), new Allocation("t100", "A", 100));
        assertThat(unitsOf(plan, "t200", "B")).isCloseTo(60, within(1e-9));
        assertThat(unitsOf(plan, "t200", "A")).isCloseTo(140, within(1e-9));
        // energy: 360 units on B at 3 per joule, 240 on A at 2 per joule
        assertThat(plan.joules()).isCloseTo(360 / 3.0 + 240 / 2.0, within(1e-9));
    }

    @Test
    void noPlanFinishesEarlierThanAllWorkOverAllSpeed() {
        var plan = planner.minimiseMakespan(List.of(new Task("only", 50)), List.of(a, b));

        assertThat(plan.makespanSeconds()).isCloseTo(50 / 2.5, within(1e-9));
    }

    @Test
    void leastEnergyWithoutATightDeadlineRunsEverythingOnTheMostEfficientPlatform() {
        var plan = planner.minimiseEnergy(tasks, List.of(a, b), 1000);

        assertThat(plan.allocations()).allSatisfy(x -> assertThat(x.platformId()).isEqualTo("B"));
        assertThat(plan.joules()).isCloseTo(600 / 3.0, within(1e-9));
        assertThat(plan.makespanSeconds()).isCloseTo(400, within(1e-9));
    }

    @Test
    void aDeadlineMovesJustEnoughWorkToTheLessEfficientPlatform() {
        var plan = planner.minimiseEnergy(tasks, List.of(a, b), 300);

        // B can do 450 units in 300 s; the remaining 150 go to A
        assertThat(plan.makespanSeconds()).isCloseTo(300, within(1e-9));
        assertThat(plan.joules()).isCloseTo(450 / 3.0 + 150 / 2.0, within(1e-9));
    }

    @Test
    void anImpossibleDeadlineIsRefusedWithTheEarliestPossibleFinish() {
        assertThatThrownBy(() -> planner.minimiseEnergy(tasks, List.of(a, b), 200))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("earliest finish is 240.0 s");
    }

    private static double unitsOf(BatchPlanner.Plan plan, String task, String platform) {
        return plan.allocations().stream().filter(x -> x.taskId().equals(task) && x.platformId().equals(platform))
                .mapToDouble(Allocation::units).sum();
    }
}

package dev.llmplatform.registry.domain.batch;

/**
 * A batch's energy so far, summed over its recorded lines, and the plan its runner last reported.
 *
 * @param estimatedJoules what the scheduler's cost model estimated where it placed each line [J]
 * @param measuredJoules  each line's measured time on its worker × that worker's dynamic watts [J]
 * @param plan            the runner's latest plan, for people; empty before the first
 */
public record BatchEnergy(double estimatedJoules, double measuredJoules, String plan) {

    public static final BatchEnergy NONE = new BatchEnergy(0, 0, "");
}

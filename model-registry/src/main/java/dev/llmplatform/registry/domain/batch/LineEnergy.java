package dev.llmplatform.registry.domain.batch;

/** One line's energy as its runner reports it [J]; zero for a line that did not run. */
public record LineEnergy(double estimatedJoules, double measuredJoules) {

    public static final LineEnergy NONE = new LineEnergy(0, 0);
}

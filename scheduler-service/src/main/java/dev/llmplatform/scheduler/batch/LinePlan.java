package dev.llmplatform.scheduler.batch;

import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * How a batch's remaining lines are shared over the workers that serve its model, as {@link BatchPlanning} worked
 * it out from their measured speeds and power.
 *
 * @param objective      energy-first or latency-first
 * @param model          the model the lines ask for
 * @param lines          lines still to run when the plan was made
 * @param shares         per worker id, the share of those lines it runs (summing to 1)
 * @param finishSeconds  the plan's estimated finish, from when it was made [s]
 * @param joules         the plan's estimated energy [J]
 * @param earliestSeconds the earliest any plan could finish (every worker busy to the end) [s]
 * @param secondsLeft    what was left of the completion window when it was made [s]
 */
public record LinePlan(String objective, String model, int lines, Map<String, Double> shares, double finishSeconds,
                       double joules, double earliestSeconds, double secondsLeft) {

    public LinePlan {
        shares = Map.copyOf(shares);
    }

    /** Even with every worker busy to the end, the lines would not finish within the window. */
    public boolean impossible() {
        return earliestSeconds > secondsLeft;
    }

    /** For people: the batch's {@code energy_plan}. */
    public String describe() {
        String split = shares.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> e.getKey() + " " + Math.round(e.getValue() * 100) + "%").collect(Collectors.joining(", "));
        return String.format(Locale.ROOT, "%s: %s; %d lines of %s, estimated %.1f s and %.1f J (window left %.0f s)",
                objective, split, lines, model, finishSeconds, joules, secondsLeft);
    }
}

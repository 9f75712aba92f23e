package dev.llmplatform.scheduler.domain;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The decode part of C_j: how many tokens a request is expected to generate. Either its max_tokens, or the
 * smoothed output length of the model's finished requests capped by max_tokens (max_tokens until one finished).
 */
public final class OutputLengths {

    private final boolean observed;
    private final double weight;
    private final Map<String, Ewma> byModel = new ConcurrentHashMap<>();

    /** @param observed false: always max_tokens; true: smoothed observed lengths capped by max_tokens */
    public OutputLengths(boolean observed, double weight) {
        this.observed = observed;
        this.weight = weight;
    }

    public int expected(String model, int maxTokens) {
        if (!observed) {
            return maxTokens;
        }
        Ewma lengths = byModel.get(model);
        double mean = lengths == null ? Double.NaN : lengths.value();
        return Double.isNaN(mean) ? maxTokens : (int) Math.min(maxTokens, Math.ceil(mean));
    }

    public void finished(String model, int outputTokens) {
        byModel.computeIfAbsent(model, m -> Ewma.unseeded(weight)).add(outputTokens);
    }
}

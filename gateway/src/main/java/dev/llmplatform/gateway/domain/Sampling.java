package dev.llmplatform.gateway.domain;

import java.util.List;
import java.util.OptionalLong;

/**
 * How tokens are drawn, already validated against the OpenAI ranges.
 *
 * @param maxTokens 0 means "up to the context length"
 */
public record Sampling(
        double temperature,
        double topP,
        int maxTokens,
        OptionalLong seed,
        List<String> stop,
        double frequencyPenalty,
        double presencePenalty) {

    public Sampling {
        stop = List.copyOf(stop);
    }
}

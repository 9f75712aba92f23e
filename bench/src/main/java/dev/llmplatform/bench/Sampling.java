package dev.llmplatform.bench;

import java.util.OptionalLong;

/**
 * The sampling every target uses for a run: greedy by default, so all three generate the same tokens.
 *
 * @param ignoreEos every target generates maxTokens tokens, past the model's end of generation (vLLM's and
 *                  llama-server's ignore_eos): answers of a set length, to weigh the cost per token against the cost
 *                  per request
 */
public record Sampling(double temperature, int maxTokens, OptionalLong seed, boolean ignoreEos) {

    /** Answers end where the model ends them. */
    public Sampling(double temperature, int maxTokens, OptionalLong seed) {
        this(temperature, maxTokens, seed, false);
    }
}

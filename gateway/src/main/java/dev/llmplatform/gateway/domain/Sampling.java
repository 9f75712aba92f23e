package dev.llmplatform.gateway.domain;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * How tokens are drawn, already validated against the OpenAI ranges.
 *
 * @param maxTokens   0 means "up to the context length"
 * @param repetitionPenalty multiplicative penalty on recently generated tokens (vLLM's repetition_penalty), in
 *                    (0, 2]; 1 is off
 * @param logitBias   token id to the bias added to its logit, -100..100
 * @param grammar     the GBNF the output must match (built from a JSON schema or the tools), empty for none
 * @param topLogprobs -1 for no logprobs; otherwise logprobs with this many alternatives per token
 * @param ignoreEos   vLLM's extension: generate past the model's end-of-generation tokens, up to maxTokens
 */
public record Sampling(
        double temperature,
        double topP,
        int maxTokens,
        OptionalLong seed,
        List<String> stop,
        double frequencyPenalty,
        double presencePenalty,
        double repetitionPenalty,
        Map<Integer, Float> logitBias,
        String grammar,
        int topLogprobs,
        boolean ignoreEos) {

    public static final int NO_LOGPROBS = -1;
    /** The repetition penalty that changes nothing. */
    public static final double NO_REPETITION_PENALTY = 1.0;

    public Sampling {
        stop = List.copyOf(stop);
        logitBias = Map.copyOf(logitBias);
    }

    /** Plain sampling: no repetition penalty, no bias, no grammar, no logprobs. */
    public Sampling(double temperature, double topP, int maxTokens, OptionalLong seed, List<String> stop,
                    double frequencyPenalty, double presencePenalty) {
        this(temperature, topP, maxTokens, seed, stop, frequencyPenalty, presencePenalty, NO_REPETITION_PENALTY, Map.of(), "",
                NO_LOGPROBS, false);
    }

    public boolean wantsLogprobs() {
        return topLogprobs >= 0;
    }

    /** The same sampling with another seed (choice i of n draws with seed + i). */
    public Sampling withSeed(long seed) {
        return new Sampling(temperature, topP, maxTokens, OptionalLong.of(seed), stop, frequencyPenalty, presencePenalty,
                repetitionPenalty, logitBias, grammar, topLogprobs, ignoreEos);
    }
}

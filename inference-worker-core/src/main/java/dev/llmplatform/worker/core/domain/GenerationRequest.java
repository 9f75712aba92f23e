package dev.llmplatform.worker.core.domain;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * One sequence to generate. The prompt is already templated and tokenized by the tokenizer service.
 *
 * @param maxTokens      upper bound on generated tokens (always positive: the worker resolves "unbounded" to what the
 *                       context leaves), the resumed ones included
 * @param repetitionPenalty multiplicative penalty on recently generated tokens' logits (llama.cpp's penalty_repeat):
 *                       above 0, 1 for none
 * @param resumeTokenIds tokens another worker already generated for this request and the caller already has: they
 *                       are prefilled after the prompt, count as generated, and their text is not sent again
 * @param constraints    what narrows the choice of each token beyond the basic knobs: min-p, logit bias, grammar
 * @param topLogprobs    -1 for no logprobs; otherwise each token's log probability is reported with this many
 *                       alternatives (0..{@value Logprobs#MAX_TOP})
 */
public record GenerationRequest(
        String requestId,
        int[] promptTokenIds,
        int maxTokens,
        float temperature,
        float topP,
        int topK,
        OptionalLong seed,
        List<String> stop,
        float frequencyPenalty,
        float presencePenalty,
        float repetitionPenalty,
        int[] resumeTokenIds,
        Constraints constraints,
        int topLogprobs) {

    /** No logprobs reported. */
    public static final int NO_LOGPROBS = -1;
    /** The repetition penalty that changes nothing. */
    public static final float NO_REPETITION_PENALTY = 1f;

    /**
     * @param minP      0 switches min-p off
     * @param logitBias token id to the bias added to its logit
     * @param grammar   llama.cpp GBNF (root rule "root") the output must match; empty for none
     * @param ignoreEos the vocabulary's end-of-generation tokens are never sampled: generation runs to maxTokens or
     *                  a stop string (vLLM's and llama-server's ignore_eos)
     */
    public record Constraints(float minP, Map<Integer, Float> logitBias, String grammar, boolean ignoreEos) {

        public static final Constraints NONE = new Constraints(0f, Map.of(), "");

        public Constraints {
            logitBias = Map.copyOf(logitBias);
            if (minP < 0f || minP > 1f) {
                throw new IllegalArgumentException("min_p must be within 0..1, not " + minP);
            }
        }

        /** Generation may end at an end-of-generation token. */
        public Constraints(float minP, Map<Integer, Float> logitBias, String grammar) {
            this(minP, logitBias, grammar, false);
        }
    }

    public GenerationRequest {
        stop = List.copyOf(stop);
        resumeTokenIds = resumeTokenIds.clone();
        if (promptTokenIds.length == 0) {
            throw new IllegalArgumentException("the prompt must hold at least one token");
        }
        if (maxTokens <= 0) {
            throw new IllegalArgumentException("maxTokens must be positive");
        }
        if (resumeTokenIds.length > maxTokens) {
            throw new IllegalArgumentException("resuming from " + resumeTokenIds.length + " tokens, more than maxTokens " + maxTokens);
        }
        if (!(repetitionPenalty > 0f) || Float.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetition_penalty must be a finite number above 0, not " + repetitionPenalty);
        }
        if (topLogprobs < NO_LOGPROBS || topLogprobs > Logprobs.MAX_TOP) {
            throw new IllegalArgumentException("top_logprobs must be within 0.." + Logprobs.MAX_TOP + ", not " + topLogprobs);
        }
    }

    /** A request that starts from the beginning, with no repetition penalty, no constraints and no logprobs. */
    public GenerationRequest(String requestId, int[] promptTokenIds, int maxTokens, float temperature, float topP, int topK,
                             OptionalLong seed, List<String> stop, float frequencyPenalty, float presencePenalty) {
        this(requestId, promptTokenIds, maxTokens, temperature, topP, topK, seed, stop, frequencyPenalty, presencePenalty,
                NO_REPETITION_PENALTY, new int[0], Constraints.NONE, NO_LOGPROBS);
    }

    /** The same request, continuing after {@code tokens} that were already generated for it. */
    public GenerationRequest resumedAfter(int[] tokens) {
        return new GenerationRequest(requestId, promptTokenIds, maxTokens, temperature, topP, topK, seed, stop,
                frequencyPenalty, presencePenalty, repetitionPenalty, tokens, constraints, topLogprobs);
    }

    /** The same request under {@code constraints}, reporting logprobs with {@code topLogprobs} alternatives (-1: none). */
    public GenerationRequest with(Constraints constraints, int topLogprobs) {
        return new GenerationRequest(requestId, promptTokenIds, maxTokens, temperature, topP, topK, seed, stop,
                frequencyPenalty, presencePenalty, repetitionPenalty, resumeTokenIds, constraints, topLogprobs);
    }

    /** The same request with another repetition penalty (1: none). */
    public GenerationRequest withRepetitionPenalty(float repetitionPenalty) {
        return new GenerationRequest(requestId, promptTokenIds, maxTokens, temperature, topP, topK, seed, stop,
                frequencyPenalty, presencePenalty, repetitionPenalty, resumeTokenIds, constraints, topLogprobs);
    }

    public boolean wantsLogprobs() {
        return topLogprobs >= 0;
    }

    public static GenerationRequest greedy(String requestId, int[] promptTokenIds, int maxTokens) {
        return new GenerationRequest(requestId, promptTokenIds, maxTokens, 0f, 1f, 0, OptionalLong.empty(), List.of(), 0f, 0f);
    }
}

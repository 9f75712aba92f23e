package dev.llmplatform.worker.core.domain;

import java.util.List;
import java.util.OptionalLong;

/**
 * One sequence to generate. The prompt is already templated and tokenized by the tokenizer service.
 *
 * @param maxTokens      upper bound on generated tokens (always positive: the worker resolves "unbounded" to what the
 *                       context leaves), the resumed ones included
 * @param resumeTokenIds tokens another worker already generated for this request and the caller already has: they
 *                       are prefilled after the prompt, count as generated, and their text is not sent again
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
        int[] resumeTokenIds) {

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
    }

    /** A request that starts from the beginning. */
    public GenerationRequest(String requestId, int[] promptTokenIds, int maxTokens, float temperature, float topP, int topK,
                             OptionalLong seed, List<String> stop, float frequencyPenalty, float presencePenalty) {
        this(requestId, promptTokenIds, maxTokens, temperature, topP, topK, seed, stop, frequencyPenalty, presencePenalty, new int[0]);
    }

    /** The same request, continuing after {@code tokens} that were already generated for it. */
    public GenerationRequest resumedAfter(int[] tokens) {
        return new GenerationRequest(requestId, promptTokenIds, maxTokens, temperature, topP, topK, seed, stop,
                frequencyPenalty, presencePenalty, tokens);
    }

    public static GenerationRequest greedy(String requestId, int[] promptTokenIds, int maxTokens) {
        return new GenerationRequest(requestId, promptTokenIds, maxTokens, 0f, 1f, 0, OptionalLong.empty(), List.of(), 0f, 0f);
    }
}

package dev.llmplatform.worker.core.domain;

import java.util.List;
import java.util.OptionalLong;

/**
 * One sequence to generate. The prompt is already templated and tokenized by the tokenizer service.
 *
 * @param maxTokens upper bound on generated tokens (always positive: the worker resolves "unbounded" to what the
 *                  context leaves)
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
        float presencePenalty) {

    public GenerationRequest {
        stop = List.copyOf(stop);
        if (promptTokenIds.length == 0) {
            throw new IllegalArgumentException("the prompt must hold at least one token");
        }
        if (maxTokens <= 0) {
            throw new IllegalArgumentException("maxTokens must be positive");
        }
    }

    public static GenerationRequest greedy(String requestId, int[] promptTokenIds, int maxTokens) {
        return new GenerationRequest(requestId, promptTokenIds, maxTokens, 0f, 1f, 0, OptionalLong.empty(), List.of(), 0f, 0f);
    }
}

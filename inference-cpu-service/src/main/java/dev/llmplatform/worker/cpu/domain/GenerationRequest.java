package dev.llmplatform.worker.cpu.domain;

import java.util.List;
import java.util.OptionalLong;

/**
 * One sequence to generate. The prompt is already templated and tokenized by the tokenizer service.
 *
 * @param maxTokens upper bound on generated tokens (always positive: the scheduler resolves "unbounded" to what
 *                  the context leaves)
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
    }
}

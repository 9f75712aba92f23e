package dev.llmplatform.gateway.domain;

import java.util.List;

/** One vector per input, in input order, and the tokens the model read for them all. */
public record EmbeddingResult(List<float[]> vectors, int promptTokens) {

    public EmbeddingResult {
        vectors = List.copyOf(vectors);
    }
}

package dev.llmplatform.gateway.domain;

import java.util.List;

/** Texts to embed with one model, as the scheduler takes them. */
public record EmbeddingRequest(String requestId, String model, List<String> inputs) {

    public EmbeddingRequest {
        inputs = List.copyOf(inputs);
    }
}

package dev.llmplatform.worker.cpu.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How the worker serves embedding models (registry models whose task is "embedding", with a CPU ONNX artifact).
 *
 * @param maxInputs             inputs one request may carry (OpenAI allows 2048)
 * @param batchSize             inputs run through the model in one padded forward pass. 1 (the default) runs each input
 *                              alone, so a text always gets the same vector: the quantized model quantizes activations
 *                              per tensor, and inputs sharing a pass shift each other's vectors (cosine 0.98-0.99)
 * @param threads               ONNX Runtime intra-op threads per model; 0 lets ONNX Runtime use every core
 * @param concurrentRequests    requests embedded at the same time
 * @param maxWaiting            requests allowed to wait behind them before new ones are refused (RESOURCE_EXHAUSTED)
 * @param defaultMaxInputTokens the longest input, in tokens, when the registry gives the model no context length
 */
@ConfigurationProperties("worker.embeddings")
public record EmbeddingProperties(
        @DefaultValue("2048") int maxInputs,
        @DefaultValue("1") int batchSize,
        @DefaultValue("0") int threads,
        @DefaultValue("2") int concurrentRequests,
        @DefaultValue("32") int maxWaiting,
        @DefaultValue("256") int defaultMaxInputTokens) {
}

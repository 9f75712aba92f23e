package dev.llmplatform.registry.domain;

import java.time.Instant;
import java.util.Optional;

/**
 * What a worker measured about a variant when it was registered: quality on a held-out text, agreement with the
 * version's F16 variant, speed and memory on the worker's device class.
 *
 * @param perplexity         exp(mean negative log-likelihood) of the next token over the second half of each chunk
 * @param referenceVariantId the variant compared with; empty when there was none (the F16 itself has no reference)
 * @param top1Agreement      share of positions where both pick the same most likely token
 * @param klDivergence       mean KL(reference || variant) in nats per token
 * @param memoryBytes        the weights as loaded; the KV cache is the same for every variant of a model
 */
public record VariantMeasurements(
        double perplexity,
        int scoredTokens,
        String textName,
        String referenceVariantId,
        Optional<Double> top1Agreement,
        Optional<Double> klDivergence,
        double decodeTokensPerSecond,
        long memoryBytes,
        DeviceClass deviceClass,
        String device,
        Instant measuredAt) {
}

package dev.llmplatform.registry.domain;

import java.time.Instant;
import java.util.Optional;

/**
 * One artifact that serves a model version on one kind of hardware.
 *
 * @param uri          where the artifact lies: file:///... for the local store, s3://bucket/key for S3
 * @param tokenizerUri the tokenizer to use with it; empty when the artifact carries its own (GGUF)
 * @param measurements what a worker measured about it; empty until then
 */
public record Variant(
        String variantId,
        Format format,
        String quantization,
        DeviceClass deviceClass,
        String uri,
        String sha256,
        long sizeBytes,
        String tokenizerUri,
        int contextLength,
        String chatTemplate,
        String licence,
        Instant createdAt,
        Optional<VariantMeasurements> measurements) {

    /** A variant not measured yet. */
    public Variant(String variantId, Format format, String quantization, DeviceClass deviceClass, String uri, String sha256,
                   long sizeBytes, String tokenizerUri, int contextLength, String chatTemplate, String licence, Instant createdAt) {
        this(variantId, format, quantization, deviceClass, uri, sha256, sizeBytes, tokenizerUri, contextLength, chatTemplate,
                licence, createdAt, Optional.empty());
    }

    /** Whether the weights are unquantized (F32, F16, BF16): what quantizing starts from and what others are compared with. */
    public boolean unquantized() {
        return switch (quantization.toLowerCase(java.util.Locale.ROOT)) {
            case "f32", "fp32", "f16", "fp16", "bf16" -> true;
            default -> false;
        };
    }
}

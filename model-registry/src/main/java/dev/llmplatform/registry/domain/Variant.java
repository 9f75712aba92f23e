package dev.llmplatform.registry.domain;

import java.time.Instant;

/**
 * One artifact that serves a model version on one kind of hardware.
 *
 * @param uri          where the artifact lies: file:///... for the local store, s3://bucket/key for S3
 * @param tokenizerUri the tokenizer to use with it; empty when the artifact carries its own (GGUF)
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
        Instant createdAt) {
}

package dev.llmplatform.registry.domain;

import java.time.Instant;

/**
 * One quantize action: makes {@code targetVariant} of a version from its unquantized {@code sourceVariant} on a
 * worker, stores it, and has it measured.
 *
 * @param stage    what the job does now: queued, quantizing, sending, storing, measuring, done, failed
 * @param progress 0..1 of the whole job
 * @param message  the new variant's SHA-256 when done, why it failed otherwise
 */
public record QuantizeJob(String id, String modelId, String version, String sourceVariant, String targetType,
                          String targetVariant, State state, String stage, double progress, String message,
                          Instant createdAt, Instant updatedAt) {

    public enum State {
        QUEUED, RUNNING, SUCCEEDED, FAILED;

        public boolean finished() {
            return this == SUCCEEDED || this == FAILED;
        }
    }
}

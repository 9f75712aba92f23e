package dev.llmplatform.registry.domain.batch;

/** @param line the 1-based input line the error is about, 0 for the batch as a whole */
public record BatchError(String code, String message, String param, int line) {
}

package dev.llmplatform.gateway.domain;

public record TokenUsage(int promptTokens, int completionTokens, int totalTokens) {
}

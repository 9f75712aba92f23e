package dev.llmplatform.bench;

/**
 * One request of the prompt set: what a user asks (sent to the gateway as a chat message) and the same
 * conversation already templated and tokenized (sent to the worker and the reference engine), so that all
 * three targets see exactly the same prompt tokens.
 */
public record BenchPrompt(int index, String userText, int[] promptTokenIds) {

    public int inputTokens() {
        return promptTokenIds.length;
    }
}

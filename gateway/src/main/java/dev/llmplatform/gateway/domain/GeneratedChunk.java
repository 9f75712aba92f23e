package dev.llmplatform.gateway.domain;

import java.util.Optional;

/**
 * A piece of generated text as the scheduler streams it.
 *
 * @param finish present on the last chunk only
 */
public record GeneratedChunk(String text, int tokenCount, Optional<Finish> finish) {

    /** @param usage absent when the scheduler did not report it */
    public record Finish(FinishReason reason, Optional<TokenUsage> usage) {
    }
}

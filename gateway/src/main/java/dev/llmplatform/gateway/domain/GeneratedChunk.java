package dev.llmplatform.gateway.domain;

import java.util.List;
import java.util.Optional;

/**
 * A piece of generated text as the scheduler streams it.
 *
 * @param finish   present on the last chunk only
 * @param logprobs one per token of the chunk when the request asked for logprobs, empty otherwise
 */
public record GeneratedChunk(String text, int tokenCount, Optional<Finish> finish, List<TokenLogprob> logprobs) {

    public GeneratedChunk {
        logprobs = List.copyOf(logprobs);
    }

    public GeneratedChunk(String text, int tokenCount, Optional<Finish> finish) {
        this(text, tokenCount, finish, List.of());
    }

    /** @param usage absent when the scheduler did not report it */
    public record Finish(FinishReason reason, Optional<TokenUsage> usage) {
    }
}

package dev.llmplatform.worker.core.domain;

/** How a generation ended. */
public sealed interface GenerationOutcome {

    int completionTokens();

    /** End of sequence or a stop string. */
    record Stopped(int completionTokens) implements GenerationOutcome {
    }

    /** max_tokens or the end of the sequence's context. */
    record LengthReached(int completionTokens) implements GenerationOutcome {
    }

    /** The caller went away (cancelled or past its deadline); generation stopped early and its KV cells were freed. */
    record Cancelled(int completionTokens) implements GenerationOutcome {
    }

    /** The engine could not go on (a failed decode step, the engine closing). */
    record Failed(int completionTokens, String reason) implements GenerationOutcome {
    }
}

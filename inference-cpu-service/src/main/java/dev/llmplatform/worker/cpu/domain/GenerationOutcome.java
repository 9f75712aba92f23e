package dev.llmplatform.worker.cpu.domain;

/** How a generation ended. */
public sealed interface GenerationOutcome {

    int completionTokens();

    /** End of sequence or a stop string. */
    record Stopped(int completionTokens) implements GenerationOutcome {
    }

    /** max_tokens or the end of the context. */
    record LengthReached(int completionTokens) implements GenerationOutcome {
    }

    /** The caller went away (cancelled or past its deadline); generation stopped early. */
    record Cancelled(int completionTokens) implements GenerationOutcome {
    }
}

package dev.llmplatform.registry.domain.batch;

/**
 * Where a batch stands, with OpenAI's names: validating → in_progress → finalizing → completed, or failed,
 * expired, cancelling → cancelled.
 */
public enum BatchStatus {
    VALIDATING, FAILED, IN_PROGRESS, FINALIZING, COMPLETED, EXPIRED, CANCELLING, CANCELLED;

    /** No runner works on a batch in one of these any more. */
    public boolean ended() {
        return this == FAILED || this == COMPLETED || this == EXPIRED || this == CANCELLED;
    }

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}

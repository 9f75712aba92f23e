package dev.llmplatform.registry.domain.batch;

import java.time.Instant;

/**
 * A file of the Files API: its row; the bytes are in the artifact store at {@code uri}.
 *
 * @param purpose {@code batch} for uploads, {@code batch_output} for the output and error files of a batch
 */
public record StoredFile(String id, String owner, String purpose, String filename, long bytes, int lineCount,
                         String uri, String sha256, Instant createdAt) {

    public static final String PURPOSE_BATCH = "batch";
    public static final String PURPOSE_BATCH_OUTPUT = "batch_output";
}

package dev.llmplatform.registry.domain.batch;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A batch as stored: what OpenAI's batch object shows, plus its owner and the lease of the runner working on it.
 * Times that have not happened yet are empty.
 *
 * @param completed lines with a result in the output file
 * @param failed    lines with an entry in the error file
 * @param inputTokens  prompt tokens of the lines recorded so far
 * @param outputTokens generated tokens of the lines recorded so far
 * @param energy       the energy of the lines recorded so far and the runner's latest plan
 * @param tokenBudgetPerDay the owner's batch token budget per rolling 24 h, as given at creation; 0 for none
 */
public record StoredBatch(
        String id, String owner, String endpoint, String inputFileId, String completionWindow, BatchStatus status,
        int total, int completed, int failed, Optional<String> outputFileId, Optional<String> errorFileId,
        List<BatchError> errors, Map<String, String> metadata, Instant createdAt, Instant expiresAt,
        Optional<Instant> inProgressAt, Optional<Instant> finalizingAt, Optional<Instant> completedAt,
        Optional<Instant> failedAt, Optional<Instant> expiredAt, Optional<Instant> cancellingAt,
        Optional<Instant> cancelledAt, Optional<String> leaseOwner, Optional<Instant> leaseExpiresAt,
        long inputTokens, long outputTokens, BatchEnergy energy, long tokenBudgetPerDay) {

    public static final List<String> ENDPOINTS = List.of("/v1/chat/completions", "/v1/completions", "/v1/embeddings");
}

package dev.llmplatform.registry.infra.batch;

import dev.llmplatform.registry.domain.RegistryException;
import dev.llmplatform.registry.domain.batch.BatchEnergy;
import dev.llmplatform.registry.domain.batch.BatchError;
import dev.llmplatform.registry.domain.batch.BatchStatus;
import dev.llmplatform.registry.domain.batch.LineEnergy;
import dev.llmplatform.registry.domain.batch.StoredBatch;
import dev.llmplatform.registry.domain.batch.StoredFile;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Files, batches and each batch line's result in the registry's database. A line's result is keyed by batch and
 * line index and written once, so a runner that dies and another that claims the batch after it never record a
 * line twice. Request counts are counted from those rows, never kept as counters that a retry could skew.
 */
@Repository
public class BatchRepository {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String BATCH_COLUMNS = """
            b.*, (SELECT COUNT(*) FROM batch_line_results r WHERE r.batch_id = b.id AND r.ok) AS n_completed,
                 (SELECT COUNT(*) FROM batch_line_results r WHERE r.batch_id = b.id AND NOT r.ok) AS n_failed,
                 (SELECT COALESCE(SUM(r.input_tokens), 0) FROM batch_line_results r WHERE r.batch_id = b.id) AS n_input_tokens,
                 (SELECT COALESCE(SUM(r.output_tokens), 0) FROM batch_line_results r WHERE r.batch_id = b.id) AS n_output_tokens,
                 (SELECT COALESCE(SUM(r.estimated_joules), 0) FROM batch_line_results r WHERE r.batch_id = b.id) AS n_estimated_joules,
                 (SELECT COALESCE(SUM(r.measured_joules), 0) FROM batch_line_results r WHERE r.batch_id = b.id) AS n_measured_joules""";

    /** The rolling window of the per-owner batch token budget. */
    public static final Duration USAGE_WINDOW = Duration.ofHours(24);

    /** Input + output tokens of an owner's line results recorded since {@code :since}. */
    private static final String OWNER_TOKENS = """
            SELECT COALESCE(SUM(r.input_tokens + r.output_tokens), 0) FROM batch_line_results r
              JOIN batches o ON o.id = r.batch_id WHERE o.owner = %s AND r.recorded_at >= :since""";

    /**
     * A batch (alias b) that waits for its owner's budget: it has a budget, lines left to run, is still within its
     * window (past it, it is handed out to be finalized as expired) and not cancelling or finalizing, and its
     * owner's tokens in the window have reached the budget.
     */
    private static final String OVER_BUDGET = """
            b.token_budget_per_day > 0 AND b.status IN ('VALIDATING', 'IN_PROGRESS') AND b.expires_at > :now
              AND (SELECT COUNT(*) FROM batch_line_results d WHERE d.batch_id = b.id) < b.total
              AND (%s) >= b.token_budget_per_day""".formatted(OWNER_TOKENS.formatted("b.owner"));

    private final JdbcClient jdbc;

    public BatchRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    // Files

    public void insertFile(StoredFile file) {
        jdbc.sql("""
                INSERT INTO batch_files (id, owner, purpose, filename, bytes, line_count, uri, sha256, created_at)
                VALUES (:id, :owner, :purpose, :filename, :bytes, :lineCount, :uri, :sha256, :createdAt)""")
                .param("id", file.id()).param("owner", file.owner()).param("purpose", file.purpose())
                .param("filename", file.filename()).param("bytes", file.bytes()).param("lineCount", file.lineCount())
                .param("uri", file.uri()).param("sha256", file.sha256()).param("createdAt", Timestamp.from(file.createdAt()))
                .update();
    }

    public Optional<StoredFile> findFile(String owner, String id) {
        return jdbc.sql("SELECT * FROM batch_files WHERE id = :id AND owner = :owner")
                .param("id", id).param("owner", owner).query(BatchRepository::file).optional();
    }

    /** Newest first; {@code after} is the id of the last file of the previous page, empty for the first. */
    public List<StoredFile> listFiles(String owner, String purpose, String after, int limit) {
        return jdbc.sql("""
                SELECT * FROM batch_files f WHERE owner = :owner AND (:purpose = '' OR purpose = :purpose)
                  AND (:after = '' OR EXISTS (SELECT 1 FROM batch_files a WHERE a.id = :after AND a.owner = :owner
                       AND (f.created_at < a.created_at OR (f.created_at = a.created_at AND f.id < a.id))))
                ORDER BY created_at DESC, id DESC LIMIT :limit""")
                .param("owner", owner).param("purpose", purpose).param("after", after).param("limit", limit)
                .query(BatchRepository::file).list();
    }

    @Transactional
    public Optional<StoredFile> deleteFile(String owner, String id) {
        Optional<StoredFile> file = findFile(owner, id);
        file.ifPresent(f -> jdbc.sql("DELETE FROM batch_files WHERE id = :id").param("id", id).update());
        return file;
    }

    // Batches

    public void insertBatch(StoredBatch batch) {
        jdbc.sql("""
                INSERT INTO batches (id, owner, endpoint, input_file_id, completion_window, status, total, errors, metadata,
                                     created_at, expires_at, token_budget_per_day)
                VALUES (:id, :owner, :endpoint, :inputFileId, :window, :status, :total, :errors, :metadata, :createdAt, :expiresAt,
                        :budget)""")
                .param("id", batch.id()).param("owner", batch.owner()).param("endpoint", batch.endpoint())
                .param("inputFileId", batch.inputFileId()).param("window", batch.completionWindow())
                .param("status", batch.status().name()).param("total", batch.total())
                .param("errors", JSON.writeValueAsString(batch.errors())).param("metadata", JSON.writeValueAsString(batch.metadata()))
                .param("createdAt", Timestamp.from(batch.createdAt())).param("expiresAt", Timestamp.from(batch.expiresAt()))
                .param("budget", batch.tokenBudgetPerDay())
                .update();
    }

    public Optional<StoredBatch> findBatch(String owner, String id) {
        return jdbc.sql("SELECT " + BATCH_COLUMNS + " FROM batches b WHERE b.id = :id AND b.owner = :owner")
                .param("id", id).param("owner", owner).query(BatchRepository::batch).optional();
    }

    public Optional<StoredBatch> findBatch(String id) {
        return jdbc.sql("SELECT " + BATCH_COLUMNS + " FROM batches b WHERE b.id = :id")
                .param("id", id).query(BatchRepository::batch).optional();
    }

    /** Newest first; {@code after} is the id of the last batch of the previous page, empty for the first. */
    public List<StoredBatch> listBatches(String owner, String after, int limit) {
        return jdbc.sql("SELECT " + BATCH_COLUMNS + """
                 FROM batches b WHERE b.owner = :owner
                  AND (:after = '' OR EXISTS (SELECT 1 FROM batches a WHERE a.id = :after AND a.owner = :owner
                       AND (b.created_at < a.created_at OR (b.created_at = a.created_at AND b.id < a.id))))
                ORDER BY b.created_at DESC, b.id DESC LIMIT :limit""")
                .param("owner", owner).param("after", after).param("limit", limit)
                .query(BatchRepository::batch).list();
    }

    /**
     * Cancels a batch: at once when no runner holds it (nothing has run), otherwise it becomes cancelling and its
     * runner ends it.
     */
    @Transactional
    public StoredBatch cancel(String owner, String id, Instant now) {
        StoredBatch batch = findBatch(owner, id).orElseThrow(() -> notFound(id));
        if (batch.status().ended()) {
            throw new RegistryException.Conflict("batch " + id + " has already ended (" + batch.status().label() + ")", "batch_id");
        }
        if (batch.status() == BatchStatus.CANCELLING) {
            return batch;
        }
        boolean held = batch.leaseExpiresAt().filter(now::isBefore).isPresent();
        if (batch.status() == BatchStatus.VALIDATING && !held) {
            jdbc.sql("UPDATE batches SET status = 'CANCELLED', cancelling_at = :now, cancelled_at = :now WHERE id = :id")
                    .param("now", Timestamp.from(now)).param("id", id).update();
        } else {
            jdbc.sql("UPDATE batches SET status = 'CANCELLING', cancelling_at = :now WHERE id = :id")
                    .param("now", Timestamp.from(now)).param("id", id).update();
        }
        return findBatch(id).orElseThrow();
    }

    // The runner's side

    /**
     * Gives {@code runnerId} the oldest batch that needs a runner (not ended, and its lease free, expired or already
     * this runner's), leased until {@code leaseUntil}; a validating batch moves to in_progress.
     */
    @Transactional
    public Optional<StoredBatch> claim(String runnerId, Instant now, Instant leaseUntil) {
        List<String> candidates = jdbc.sql("""
                SELECT id FROM batches b WHERE status IN ('VALIDATING', 'IN_PROGRESS', 'FINALIZING', 'CANCELLING')
                  AND (lease_owner IS NULL OR lease_expires_at < :now OR lease_owner = :runner)
                  AND NOT (%s)
                ORDER BY created_at, id LIMIT 10""".formatted(OVER_BUDGET))
                .param("now", Timestamp.from(now)).param("runner", runnerId)
                .param("since", Timestamp.from(now.minus(USAGE_WINDOW))).query(String.class).list();
        for (String id : candidates) {
            int claimed = jdbc.sql("""
                    UPDATE batches SET lease_owner = :runner, lease_expires_at = :until,
                        in_progress_at = CASE WHEN status = 'VALIDATING' THEN :now ELSE in_progress_at END,
                        status = CASE WHEN status = 'VALIDATING' THEN 'IN_PROGRESS' ELSE status END
                    WHERE id = :id AND status IN ('VALIDATING', 'IN_PROGRESS', 'FINALIZING', 'CANCELLING')
                      AND (lease_owner IS NULL OR lease_expires_at < :now OR lease_owner = :runner)""")
                    .param("runner", runnerId).param("until", Timestamp.from(leaseUntil)).param("now", Timestamp.from(now))
                    .param("id", id).update();
            if (claimed == 1) {
                return findBatch(id);
            }
        }
        return Optional.empty();
    }

    /** @throws RegistryException.Conflict when {@code runnerId} does not hold the batch's lease (any more) */
    @Transactional
    public StoredBatch renew(String runnerId, String id, Instant leaseUntil, String plan) {
        var update = plan.isEmpty()
                ? jdbc.sql("UPDATE batches SET lease_expires_at = :until WHERE id = :id AND lease_owner = :runner")
                : jdbc.sql("UPDATE batches SET lease_expires_at = :until, plan = :plan WHERE id = :id AND lease_owner = :runner")
                        .param("plan", plan);
        int renewed = update.param("until", Timestamp.from(leaseUntil)).param("id", id).param("runner", runnerId).update();
        if (renewed == 0) {
            findBatch(id).orElseThrow(() -> notFound(id));
            throw new RegistryException.Conflict("runner " + runnerId + " does not hold batch " + id, "runner_id");
        }
        return findBatch(id).orElseThrow();
    }

    public List<Integer> doneLines(String batchId) {
        return jdbc.sql("SELECT line_index FROM batch_line_results WHERE batch_id = :id ORDER BY line_index")
                .param("id", batchId).query(Integer.class).list();
    }

    /** Input + output tokens of the owner's batch lines recorded at or after {@code since}. */
    public long ownerTokensSince(String owner, Instant since) {
        return jdbc.sql(OWNER_TOKENS.formatted(":owner")).param("owner", owner).param("since", Timestamp.from(since))
                .query(Long.class).single();
    }

    /** @return whether this call recorded the line (false: it had a result already, which stays) */
    public boolean recordLine(String batchId, int lineIndex, String customId, boolean ok, String line, int inputTokens,
                              int outputTokens, LineEnergy energy, Instant now) {
        try {
            jdbc.sql("""
                    INSERT INTO batch_line_results (batch_id, line_index, custom_id, ok, line, input_tokens, output_tokens,
                                                    estimated_joules, measured_joules, recorded_at)
                    VALUES (:id, :lineIndex, :customId, :ok, :line, :inputTokens, :outputTokens, :estimated, :measured, :now)""")
                    .param("id", batchId).param("lineIndex", lineIndex).param("customId", customId).param("ok", ok)
                    .param("line", line).param("inputTokens", inputTokens).param("outputTokens", outputTokens)
                    .param("estimated", energy.estimatedJoules()).param("measured", energy.measuredJoules())
                    .param("now", Timestamp.from(now)).update();
            return true;
        } catch (DuplicateKeyException e) {
            return false;
        }
    }

    /** Calls {@code sink} with each recorded line of one kind in input order, reading rows as it goes. */
    @Transactional(readOnly = true)
    public void forEachLine(String batchId, boolean ok, Consumer<String> sink) {
        try (var lines = jdbc.sql("SELECT line FROM batch_line_results WHERE batch_id = :id AND ok = :ok ORDER BY line_index")
                .param("id", batchId).param("ok", ok).query(String.class).stream()) {
            lines.forEach(sink);
        }
    }

    public void markFinalizing(String id, Instant now) {
        jdbc.sql("UPDATE batches SET status = 'FINALIZING', finalizing_at = :now WHERE id = :id AND status = 'IN_PROGRESS'")
                .param("now", Timestamp.from(now)).param("id", id).update();
    }

    /** Ends a batch, with the files written for it (inserted in the same transaction), and frees its lease. */
    @Transactional
    public StoredBatch end(String id, BatchStatus status, List<BatchError> errors, Optional<StoredFile> output,
                           Optional<StoredFile> errorFile, Instant now) {
        output.ifPresent(this::insertFile);
        errorFile.ifPresent(this::insertFile);
        String column = switch (status) {
            case COMPLETED -> "completed_at";
            case FAILED -> "failed_at";
            case EXPIRED -> "expired_at";
            case CANCELLED -> "cancelled_at";
            default -> throw new IllegalArgumentException(status + " does not end a batch");
        };
        jdbc.sql("UPDATE batches SET status = :status, " + column + """
                 = :now, output_file_id = :output, error_file_id = :errorFile, errors = :errors,
                  lease_owner = NULL, lease_expires_at = NULL WHERE id = :id""")
                .param("status", status.name()).param("now", Timestamp.from(now))
                .param("output", output.map(StoredFile::id).orElse(null))
                .param("errorFile", errorFile.map(StoredFile::id).orElse(null))
                .param("errors", JSON.writeValueAsString(errors)).param("id", id).update();
        return findBatch(id).orElseThrow();
    }

    static RegistryException.NotFound notFound(String id) {
        return new RegistryException.NotFound("No batch found with id '" + id + "'", "batch_id");
    }

    private static StoredFile file(ResultSet rs, int n) throws SQLException {
        return new StoredFile(rs.getString("id"), rs.getString("owner"), rs.getString("purpose"), rs.getString("filename"),
                rs.getLong("bytes"), rs.getInt("line_count"), rs.getString("uri"), rs.getString("sha256"),
                rs.getTimestamp("created_at").toInstant());
    }

    private static StoredBatch batch(ResultSet rs, int n) throws SQLException {
        List<BatchError> errors = JSON.readValue(rs.getString("errors"), new TypeReference<List<BatchError>>() {
        });
        Map<String, String> metadata = JSON.readValue(rs.getString("metadata"), new TypeReference<LinkedHashMap<String, String>>() {
        });
        return new StoredBatch(rs.getString("id"), rs.getString("owner"), rs.getString("endpoint"), rs.getString("input_file_id"),
                rs.getString("completion_window"), BatchStatus.valueOf(rs.getString("status")), rs.getInt("total"),
                rs.getInt("n_completed"), rs.getInt("n_failed"), Optional.ofNullable(rs.getString("output_file_id")),
                Optional.ofNullable(rs.getString("error_file_id")), errors, metadata,
                rs.getTimestamp("created_at").toInstant(), rs.getTimestamp("expires_at").toInstant(),
                time(rs, "in_progress_at"), time(rs, "finalizing_at"), time(rs, "completed_at"), time(rs, "failed_at"),
                time(rs, "expired_at"), time(rs, "cancelling_at"), time(rs, "cancelled_at"),
                Optional.ofNullable(rs.getString("lease_owner")), time(rs, "lease_expires_at"),
                rs.getLong("n_input_tokens"), rs.getLong("n_output_tokens"),
                new BatchEnergy(rs.getDouble("n_estimated_joules"), rs.getDouble("n_measured_joules"), rs.getString("plan")),
                rs.getLong("token_budget_per_day"));
    }

    private static Optional<Instant> time(ResultSet rs, String column) throws SQLException {
        return Optional.ofNullable(rs.getTimestamp(column)).map(Timestamp::toInstant);
    }
}

package dev.llmplatform.registry.infra.batch;

import dev.llmplatform.registry.config.BatchProperties;
import dev.llmplatform.registry.domain.RegistryException;
import dev.llmplatform.registry.domain.batch.BatchEnergy;
import dev.llmplatform.registry.domain.batch.BatchError;
import dev.llmplatform.registry.domain.batch.BatchStatus;
import dev.llmplatform.registry.domain.batch.CompletionWindow;
import dev.llmplatform.registry.domain.batch.LineEnergy;
import dev.llmplatform.registry.domain.batch.StoredBatch;
import dev.llmplatform.registry.domain.batch.StoredFile;
import dev.llmplatform.registry.infra.artifacts.ArtifactStore;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * The Files and Batch APIs over the database ({@link BatchRepository}) and the artifact store: uploads streamed into
 * the store, batches created against an uploaded file, and the runner's claim, line results and finalization, which
 * writes the output and error files.
 */
@Service
public class BatchOperations {

    private static final Logger log = LoggerFactory.getLogger(BatchOperations.class);
    /** The plans column's width (V11). */
    static final int MAX_PLAN_LENGTH = 2000;

    private final BatchRepository repository;
    private final ArtifactStore artifacts;
    private final BatchProperties limits;
    private final Clock clock;

    @org.springframework.beans.factory.annotation.Autowired
    public BatchOperations(BatchRepository repository, ArtifactStore artifacts, BatchProperties limits) {
        this(repository, artifacts, limits, Clock.systemUTC());
    }

    BatchOperations(BatchRepository repository, ArtifactStore artifacts, BatchProperties limits, Clock clock) {
        this.repository = repository;
        this.artifacts = artifacts;
        this.limits = limits;
        this.clock = clock;
    }

    // Files

    /** Streams an upload into the store, checking it line by line; a refused upload leaves nothing behind. */
    public StoredFile upload(String owner, String filename, String purpose, long declaredBytes, InputStream content) throws IOException {
        requireOwner(owner);
        if (!StoredFile.PURPOSE_BATCH.equals(purpose)) {
            throw new RegistryException.InvalidArgument("purpose must be 'batch'; got '" + purpose + "'", "purpose");
        }
        if (filename.isBlank() || filename.length() > 1000) {
            throw new RegistryException.InvalidArgument("filename is required (at most 1000 characters)", "file");
        }
        String id = "file-" + randomId();
        var checking = new JsonlCheckingInputStream(content, (int) Math.min(Integer.MAX_VALUE - 8, limits.maxLineSize().toBytes()), limits.maxLines());
        ArtifactStore.StoredArtifact stored = artifacts.put(limits.artifactPrefix() + id + ".jsonl", checking,
                declaredBytes > 0 ? declaredBytes : -1, "", limits.maxFileSize().toBytes());
        try {
            if (checking.lines() == 0) {
                throw new RegistryException.InvalidArgument("the file has no requests; a batch file has one JSON request per line", "file");
            }
            var file = new StoredFile(id, owner, purpose, filename, stored.sizeBytes(), checking.lines(), stored.uri(), stored.sha256(),
                    now());
            repository.insertFile(file);
            return file;
        } catch (RuntimeException e) {
            deleteQuietly(stored.uri());
            throw e;
        }
    }

    public StoredFile file(String owner, String id) {
        return repository.findFile(owner, id).orElseThrow(() -> fileNotFound(id));
    }

    public List<StoredFile> listFiles(String owner, String purpose, String after, int limit) {
        return repository.listFiles(owner, purpose, after, limit);
    }

    public StoredFile deleteFile(String owner, String id) {
        StoredFile deleted = repository.deleteFile(owner, id).orElseThrow(() -> fileNotFound(id));
        deleteQuietly(deleted.uri());
        return deleted;
    }

    public InputStream openContent(String owner, String id) throws IOException {
        return artifacts.open(file(owner, id).uri());
    }

    // Batches

    public StoredBatch createBatch(String owner, String inputFileId, String endpoint, String completionWindow,
                                   Map<String, String> metadata) {
        return createBatch(owner, inputFileId, endpoint, completionWindow, metadata, 0);
    }

    /** @param tokenBudgetPerDay the owner's batch token budget per rolling 24 h; 0 for none */
    public StoredBatch createBatch(String owner, String inputFileId, String endpoint, String completionWindow,
                                   Map<String, String> metadata, long tokenBudgetPerDay) {
        requireOwner(owner);
        if (tokenBudgetPerDay < 0) {
            throw new RegistryException.InvalidArgument("token_budget_per_day must not be negative", "token_budget_per_day");
        }
        if (!StoredBatch.ENDPOINTS.contains(endpoint)) {
            throw new RegistryException.InvalidArgument("endpoint must be one of " + String.join(", ", StoredBatch.ENDPOINTS)
                    + "; got '" + endpoint + "'", "endpoint");
        }
        Duration window = CompletionWindow.parse(completionWindow);
        if (metadata.size() > 16) {
            throw new RegistryException.InvalidArgument("metadata may have at most 16 keys", "metadata");
        }
        StoredFile input = repository.findFile(owner, inputFileId).orElseThrow(() -> fileNotFound(inputFileId));
        if (!StoredFile.PURPOSE_BATCH.equals(input.purpose())) {
            throw new RegistryException.InvalidArgument("file " + inputFileId + " has purpose '" + input.purpose()
                    + "'; a batch needs a file uploaded with purpose 'batch'", "input_file_id");
        }
        Instant now = now();
        var batch = new StoredBatch("batch_" + randomId(), owner, endpoint, inputFileId, completionWindow, BatchStatus.VALIDATING,
                input.lineCount(), 0, 0, Optional.empty(), Optional.empty(), List.of(), java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metadata)), now, now.plus(window),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), 0, 0, BatchEnergy.NONE, tokenBudgetPerDay);
        repository.insertBatch(batch);
        return repository.findBatch(batch.id()).orElseThrow();
    }

    public StoredBatch batch(String owner, String id) {
        return repository.findBatch(owner, id).orElseThrow(() -> BatchRepository.notFound(id));
    }

    public List<StoredBatch> listBatches(String owner, String after, int limit) {
        return repository.listBatches(owner, after, limit);
    }

    public StoredBatch cancel(String owner, String id) {
        return repository.cancel(owner, id, now());
    }

    // The runner's side

    public record Claim(StoredBatch batch, List<Integer> doneLines) {
    }

    public Optional<Claim> claim(String runnerId, Duration lease) {
        requireRunner(runnerId);
        Instant now = now();
        return repository.claim(runnerId, now, now.plus(lease)).map(batch -> new Claim(batch, repository.doneLines(batch.id())));
    }

    public StoredBatch renew(String runnerId, String batchId, Duration lease, String plan) {
        requireRunner(runnerId);
        if (plan.length() > MAX_PLAN_LENGTH) {
            throw new RegistryException.InvalidArgument("plan is longer than " + MAX_PLAN_LENGTH + " characters", "plan");
        }
        return repository.renew(runnerId, batchId, now().plus(lease), plan);
    }

    /**
     * @param ownerOverBudget     the batch has a token budget and its owner's tokens in the window have reached it
     * @param ownerTokensLastDay  the owner's batch tokens in the window; 0 when the batch has no budget (not counted)
     */
    public record Recorded(boolean recorded, BatchStatus status, boolean ownerOverBudget, long ownerTokensLastDay) {
    }

    /** The owner's batch tokens (input + output of its recorded lines) in the rolling window. */
    public record TokenUsage(String owner, long tokens, Duration window, Instant since) {
    }

    public TokenUsage tokenUsage(String owner) {
        requireOwner(owner);
        Instant since = now().minus(BatchRepository.USAGE_WINDOW);
        return new TokenUsage(owner, repository.ownerTokensSince(owner, since), BatchRepository.USAGE_WINDOW, since);
    }

    public Recorded recordLine(String batchId, int lineIndex, String customId, boolean ok, String line, int inputTokens,
                               int outputTokens, LineEnergy energy) {
        StoredBatch batch = repository.findBatch(batchId).orElseThrow(() -> BatchRepository.notFound(batchId));
        if (batch.status().ended()) {
            throw new RegistryException.Conflict("batch " + batchId + " has ended (" + batch.status().label() + ")", "batch_id");
        }
        if (lineIndex < 0 || lineIndex >= batch.total()) {
            throw new RegistryException.InvalidArgument("line_index " + lineIndex + " is outside the batch's " + batch.total()
                    + " lines", "line_index");
        }
        if (line.isBlank() || line.indexOf('\n') >= 0) {
            throw new RegistryException.InvalidArgument("line must be one line of JSON", "line");
        }
        if (inputTokens < 0 || outputTokens < 0) {
            throw new RegistryException.InvalidArgument("token counts must not be negative", "input_tokens");
        }
        if (!(energy.estimatedJoules() >= 0) || !(energy.measuredJoules() >= 0)
                || Double.isInfinite(energy.estimatedJoules()) || Double.isInfinite(energy.measuredJoules())) {
            throw new RegistryException.InvalidArgument("joules must be finite and not negative", "estimated_joules");
        }
        Instant now = now();
        boolean recorded = repository.recordLine(batchId, lineIndex, customId, ok, line, inputTokens, outputTokens, energy, now);
        if (batch.tokenBudgetPerDay() <= 0) {
            return new Recorded(recorded, batch.status(), false, 0);
        }
        long used = repository.ownerTokensSince(batch.owner(), now.minus(BatchRepository.USAGE_WINDOW));
        return new Recorded(recorded, batch.status(), used >= batch.tokenBudgetPerDay(), used);
    }

    /**
     * Writes the output and error files from the recorded lines and ends the batch. Safe to repeat after a crash:
     * the files and the final status are committed together, so a batch is either still open (and its next runner
     * finalizes it again) or ended with exactly one output and one error file.
     */
    public StoredBatch finalizeBatch(String runnerId, String batchId, List<BatchError> failure) throws IOException {
        requireRunner(runnerId);
        StoredBatch batch = repository.findBatch(batchId).orElseThrow(() -> BatchRepository.notFound(batchId));
        if (batch.status().ended()) {
            return batch;
        }
        if (!batch.leaseOwner().map(runnerId::equals).orElse(false)) {
            throw new RegistryException.Conflict("runner " + runnerId + " does not hold batch " + batchId, "runner_id");
        }
        Instant now = now();
        BatchStatus end;
        if (!failure.isEmpty()) {
            end = BatchStatus.FAILED;
        } else if (batch.status() == BatchStatus.CANCELLING) {
            end = BatchStatus.CANCELLED;
        } else if (batch.completed() + batch.failed() < batch.total() && !now.isBefore(batch.expiresAt())) {
            end = BatchStatus.EXPIRED;
        } else if (batch.completed() + batch.failed() < batch.total()) {
            // a runner that thinks it is done but is not: the batch stays open, and the next claim runs what is missing
            throw new RegistryException.Conflict("batch " + batchId + " has " + (batch.total() - batch.completed() - batch.failed())
                    + " of its " + batch.total() + " lines without a result", "batch_id");
        } else {
            end = BatchStatus.COMPLETED;
            repository.markFinalizing(batchId, now);
        }
        Optional<StoredFile> output = end == BatchStatus.FAILED ? Optional.empty() : writeLines(batch, true, now);
        Optional<StoredFile> errors;
        try {
            errors = end == BatchStatus.FAILED ? Optional.empty() : writeLines(batch, false, now);
        } catch (IOException | RuntimeException e) {
            output.ifPresent(f -> deleteQuietly(f.uri()));
            throw e;
        }
        return repository.end(batchId, end, failure, output, errors, now);
    }

    /** One file of the recorded lines of a kind, spooled to a temporary file (not memory) on its way to the store. */
    private Optional<StoredFile> writeLines(StoredBatch batch, boolean ok, Instant now) throws IOException {
        if ((ok ? batch.completed() : batch.failed()) == 0) {
            return Optional.empty();
        }
        Path spool = Files.createTempFile("batch-" + batch.id(), ".jsonl");
        try {
            int[] lines = {0};
            try (BufferedWriter out = Files.newBufferedWriter(spool, StandardCharsets.UTF_8)) {
                repository.forEachLine(batch.id(), ok, line -> {
                    try {
                        out.write(line);
                        out.write('\n');
                        lines[0]++;
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
            String id = "file-" + randomId();
            ArtifactStore.StoredArtifact stored;
            try (InputStream in = Files.newInputStream(spool)) {
                stored = artifacts.put(limits.artifactPrefix() + id + ".jsonl", in, Files.size(spool), "", Long.MAX_VALUE);
            }
            String filename = batch.id() + (ok ? "_output.jsonl" : "_error.jsonl");
            return Optional.of(new StoredFile(id, batch.owner(), StoredFile.PURPOSE_BATCH_OUTPUT, filename, stored.sizeBytes(), lines[0],
                    stored.uri(), stored.sha256(), now));
        } finally {
            Files.deleteIfExists(spool);
        }
    }

    private Instant now() {
        // the database keeps microseconds; a batch read back must equal the one written
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    private static String randomId() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    private static RegistryException.NotFound fileNotFound(String id) {
        return new RegistryException.NotFound("No file found with id '" + id + "'", "file_id");
    }

    private static void requireOwner(String owner) {
        if (owner.isBlank()) {
            throw new RegistryException.InvalidArgument("owner is required", "owner");
        }
    }

    private static void requireRunner(String runnerId) {
        if (runnerId.isBlank()) {
            throw new RegistryException.InvalidArgument("runner_id is required", "runner_id");
        }
    }

    private void deleteQuietly(String uri) {
        try {
            artifacts.delete(uri);
        } catch (IOException | RuntimeException e) {
            log.warn("Could not delete {}: {}", uri, e.getMessage());
        }
    }
}

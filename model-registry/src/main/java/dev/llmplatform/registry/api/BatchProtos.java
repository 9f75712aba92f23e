package dev.llmplatform.registry.api;

import dev.llmplatform.proto.v1.Batch;
import dev.llmplatform.proto.v1.BatchFile;
import dev.llmplatform.proto.v1.BatchStatus;
import dev.llmplatform.registry.domain.batch.BatchError;
import dev.llmplatform.registry.domain.batch.StoredBatch;
import dev.llmplatform.registry.domain.batch.StoredFile;
import java.time.Instant;
import java.util.Optional;

/** Domain ↔ protobuf for files and batches. */
final class BatchProtos {

    private BatchProtos() {
    }

    static BatchFile file(StoredFile file) {
        return BatchFile.newBuilder().setId(file.id()).setBytes(file.bytes()).setCreatedAt(file.createdAt().getEpochSecond())
                .setFilename(file.filename()).setPurpose(file.purpose()).setLineCount(file.lineCount()).setOwner(file.owner())
                .build();
    }

    static Batch batch(StoredBatch b) {
        var builder = Batch.newBuilder().setId(b.id()).setOwner(b.owner()).setEndpoint(b.endpoint())
                .setInputFileId(b.inputFileId()).setCompletionWindow(b.completionWindow())
                .setStatus(BatchStatus.valueOf("BATCH_STATUS_" + b.status().name()))
                .setOutputFileId(b.outputFileId().orElse("")).setErrorFileId(b.errorFileId().orElse(""))
                .setCreatedAt(b.createdAt().getEpochSecond()).setExpiresAt(b.expiresAt().getEpochSecond())
                .setInProgressAt(seconds(b.inProgressAt())).setFinalizingAt(seconds(b.finalizingAt()))
                .setCompletedAt(seconds(b.completedAt())).setFailedAt(seconds(b.failedAt()))
                .setExpiredAt(seconds(b.expiredAt())).setCancellingAt(seconds(b.cancellingAt()))
                .setCancelledAt(seconds(b.cancelledAt()))
                .setTotal(b.total()).setCompleted(b.completed()).setFailed(b.failed())
                .setInputTokens(b.inputTokens()).setOutputTokens(b.outputTokens())
                .setEstimatedJoules(b.energy().estimatedJoules()).setMeasuredJoules(b.energy().measuredJoules())
                .setPlan(b.energy().plan())
                .setTokenBudgetPerDay(b.tokenBudgetPerDay())
                .putAllMetadata(b.metadata());
        b.errors().forEach(e -> builder.addErrors(error(e)));
        return builder.build();
    }

    static dev.llmplatform.proto.v1.BatchError error(BatchError e) {
        return dev.llmplatform.proto.v1.BatchError.newBuilder().setCode(e.code()).setMessage(e.message())
                .setParam(e.param() == null ? "" : e.param()).setLine(e.line()).build();
    }

    static BatchError error(dev.llmplatform.proto.v1.BatchError e) {
        return new BatchError(e.getCode(), e.getMessage(), e.getParam(), e.getLine());
    }

    private static long seconds(Optional<Instant> time) {
        return time.map(Instant::getEpochSecond).orElse(0L);
    }
}

package dev.llmplatform.registry.api;

import com.google.protobuf.ByteString;
import dev.llmplatform.proto.v1.Batch;
import dev.llmplatform.proto.v1.BatchFile;
import dev.llmplatform.proto.v1.BatchStoreGrpc;
import dev.llmplatform.proto.v1.BatchTokenUsage;
import dev.llmplatform.proto.v1.CancelBatchRequest;
import dev.llmplatform.proto.v1.ClaimBatchWorkRequest;
import dev.llmplatform.proto.v1.ClaimBatchWorkResponse;
import dev.llmplatform.proto.v1.CreateBatchRequest;
import dev.llmplatform.proto.v1.DeleteFileRequest;
import dev.llmplatform.proto.v1.DeleteFileResponse;
import dev.llmplatform.proto.v1.FileChunk;
import dev.llmplatform.proto.v1.FinalizeBatchRequest;
import dev.llmplatform.proto.v1.GetBatchRequest;
import dev.llmplatform.proto.v1.GetBatchTokenUsageRequest;
import dev.llmplatform.proto.v1.GetFileRequest;
import dev.llmplatform.proto.v1.ListBatchesRequest;
import dev.llmplatform.proto.v1.ListBatchesResponse;
import dev.llmplatform.proto.v1.ListFilesRequest;
import dev.llmplatform.proto.v1.ListFilesResponse;
import dev.llmplatform.proto.v1.ReadFileContentRequest;
import dev.llmplatform.proto.v1.RecordLineResultRequest;
import dev.llmplatform.proto.v1.RecordLineResultResponse;
import dev.llmplatform.proto.v1.RenewBatchLeaseRequest;
import dev.llmplatform.proto.v1.UploadFileHeader;
import dev.llmplatform.proto.v1.UploadFileRequest;
import dev.llmplatform.registry.domain.RegistryException;
import dev.llmplatform.registry.domain.batch.LineEnergy;
import dev.llmplatform.registry.domain.batch.StoredBatch;
import dev.llmplatform.registry.domain.batch.StoredFile;
import dev.llmplatform.registry.infra.batch.BatchOperations;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.springframework.stereotype.Service;

/** Files and batches over gRPC (batch.proto): the gateway's Files and Batch APIs, and the scheduler's batch runner. */
@Service
public class BatchStoreGrpcService extends BatchStoreGrpc.BatchStoreImplBase {

    private static final int CHUNK = 64 * 1024;
    private static final Duration IDLE = Duration.ofMinutes(2);
    private static final Duration MAX_LEASE = Duration.ofMinutes(10);

    private final BatchOperations batches;

    public BatchStoreGrpcService(BatchOperations batches) {
        this.batches = batches;
    }

    @Override
    public StreamObserver<UploadFileRequest> uploadFile(StreamObserver<BatchFile> responses) {
        var call = (ServerCallStreamObserver<BatchFile>) responses;
        call.disableAutoRequest();
        var pipe = new UploadPipe(call, IDLE);
        call.request(1);
        return new StreamObserver<>() {
            private boolean started;

            @Override
            public void onNext(UploadFileRequest part) {
                if (!started) {
                    started = true;
                    if (!part.hasHeader()) {
                        call.onError(Status.INVALID_ARGUMENT.withDescription("the first message of an upload is its header").asRuntimeException());
                        return;
                    }
                    UploadFileHeader header = part.getHeader();
                    Thread.ofVirtual().name("upload-" + header.getFilename()).start(() -> answer(responses,
                            () -> BatchProtos.file(io(() -> batches.upload(header.getOwner(), header.getFilename(),
                                    header.getPurpose(), header.getDeclaredBytes(), pipe)))));
                    call.request(1);
                } else if (part.hasChunk()) {
                    pipe.chunk(part.getChunk());
                } else {
                    pipe.fail(new IllegalArgumentException("a second header"));
                }
            }

            @Override
            public void onError(Throwable t) {
                pipe.fail(t);
            }

            @Override
            public void onCompleted() {
                pipe.end();
            }
        };
    }

    @Override
    public void getFile(GetFileRequest request, StreamObserver<BatchFile> responses) {
        answer(responses, () -> BatchProtos.file(batches.file(request.getOwner(), request.getFileId())));
    }

    @Override
    public void listFiles(ListFilesRequest request, StreamObserver<ListFilesResponse> responses) {
        answer(responses, () -> {
            int limit = limit(request.getLimit(), 10_000, 10_000);
            List<StoredFile> files = batches.listFiles(request.getOwner(), request.getPurpose(), request.getAfter(), limit + 1);
            return ListFilesResponse.newBuilder().addAllFiles(files.stream().limit(limit).map(BatchProtos::file).toList())
                    .setHasMore(files.size() > limit).build();
        });
    }

    @Override
    public void deleteFile(DeleteFileRequest request, StreamObserver<DeleteFileResponse> responses) {
        answer(responses, () -> {
            StoredFile deleted = batches.deleteFile(request.getOwner(), request.getFileId());
            return DeleteFileResponse.newBuilder().setFileId(deleted.id()).setDeleted(true).build();
        });
    }

    @Override
    public void readFileContent(ReadFileContentRequest request, StreamObserver<FileChunk> responses) {
        var call = (ServerCallStreamObserver<FileChunk>) responses;
        var ready = new Semaphore(0);
        call.setOnReadyHandler(ready::release);
        call.setOnCancelHandler(ready::release);
        InputStream content;
        try {
            content = batches.openContent(request.getOwner(), request.getFileId());
        } catch (RegistryException e) {
            responses.onError(ModelRegistryGrpcService.status(e));
            return;
        } catch (IOException | RuntimeException e) {
            responses.onError(DatabaseStatus.from(e));
            return;
        }
        // on a thread of its own: waiting for the client to be ready must not hold up the call's callbacks
        Thread.ofVirtual().name("read-" + request.getFileId()).start(() -> {
            try (content) {
                byte[] buffer = new byte[CHUNK];
                int n;
                while ((n = content.readNBytes(buffer, 0, CHUNK)) > 0) {
                    while (!call.isReady() && !call.isCancelled()) {
                        if (!ready.tryAcquire(IDLE.toMillis(), TimeUnit.MILLISECONDS)) {
                            throw new IOException("the reader took no data for " + IDLE.toSeconds() + " s");
                        }
                    }
                    if (call.isCancelled()) {
                        return;
                    }
                    call.onNext(FileChunk.newBuilder().setData(ByteString.copyFrom(buffer, 0, n)).build());
                }
                call.onCompleted();
            } catch (IOException | RuntimeException e) {
                if (!call.isCancelled()) {
                    call.onError(DatabaseStatus.from(e));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                call.onError(Status.CANCELLED.withDescription("interrupted").asRuntimeException());
            }
        });
    }

    @Override
    public void createBatch(CreateBatchRequest request, StreamObserver<Batch> responses) {
        answer(responses, () -> BatchProtos.batch(batches.createBatch(request.getOwner(), request.getInputFileId(),
                request.getEndpoint(), request.getCompletionWindow(), request.getMetadataMap(), request.getTokenBudgetPerDay())));
    }

    @Override
    public void getBatchTokenUsage(GetBatchTokenUsageRequest request, StreamObserver<BatchTokenUsage> responses) {
        answer(responses, () -> {
            var usage = batches.tokenUsage(request.getOwner());
            return BatchTokenUsage.newBuilder().setOwner(usage.owner()).setTokens(usage.tokens())
                    .setWindowSeconds(usage.window().toSeconds()).setSince(usage.since().getEpochSecond()).build();
        });
    }

    @Override
    public void getBatch(GetBatchRequest request, StreamObserver<Batch> responses) {
        answer(responses, () -> BatchProtos.batch(batches.batch(request.getOwner(), request.getBatchId())));
    }

    @Override
    public void listBatches(ListBatchesRequest request, StreamObserver<ListBatchesResponse> responses) {
        answer(responses, () -> {
            int limit = limit(request.getLimit(), 20, 100);
            List<StoredBatch> page = batches.listBatches(request.getOwner(), request.getAfter(), limit + 1);
            return ListBatchesResponse.newBuilder().addAllBatches(page.stream().limit(limit).map(BatchProtos::batch).toList())
                    .setHasMore(page.size() > limit).build();
        });
    }

    @Override
    public void cancelBatch(CancelBatchRequest request, StreamObserver<Batch> responses) {
        answer(responses, () -> BatchProtos.batch(batches.cancel(request.getOwner(), request.getBatchId())));
    }

    @Override
    public void claimBatchWork(ClaimBatchWorkRequest request, StreamObserver<ClaimBatchWorkResponse> responses) {
        answer(responses, () -> {
            var response = ClaimBatchWorkResponse.newBuilder();
            batches.claim(request.getRunnerId(), lease(request.getLeaseSeconds())).ifPresent(claim ->
                    response.setBatch(BatchProtos.batch(claim.batch())).addAllDoneLines(claim.doneLines()));
            return response.build();
        });
    }

    @Override
    public void renewBatchLease(RenewBatchLeaseRequest request, StreamObserver<Batch> responses) {
        answer(responses, () -> BatchProtos.batch(batches.renew(request.getRunnerId(), request.getBatchId(),
                lease(request.getLeaseSeconds()), request.getPlan())));
    }

    @Override
    public void recordLineResult(RecordLineResultRequest request, StreamObserver<RecordLineResultResponse> responses) {
        answer(responses, () -> {
            var recorded = batches.recordLine(request.getBatchId(), request.getLineIndex(), request.getCustomId(),
                    request.getOk(), request.getLine(), request.getInputTokens(), request.getOutputTokens(),
                    new LineEnergy(request.getEstimatedJoules(), request.getMeasuredJoules()));
            return RecordLineResultResponse.newBuilder().setRecorded(recorded.recorded())
                    .setStatus(dev.llmplatform.proto.v1.BatchStatus.valueOf("BATCH_STATUS_" + recorded.status().name()))
                    .setOwnerOverBudget(recorded.ownerOverBudget()).setOwnerTokensLastDay(recorded.ownerTokensLastDay()).build();
        });
    }

    @Override
    public void finalizeBatch(FinalizeBatchRequest request, StreamObserver<Batch> responses) {
        answer(responses, () -> BatchProtos.batch(io(() -> batches.finalizeBatch(request.getRunnerId(), request.getBatchId(),
                request.getFailureList().stream().map(BatchProtos::error).toList()))));
    }

    private static Duration lease(int seconds) {
        if (seconds <= 0) {
            throw new RegistryException.InvalidArgument("lease_seconds must be positive", "lease_seconds");
        }
        Duration lease = Duration.ofSeconds(seconds);
        return lease.compareTo(MAX_LEASE) > 0 ? MAX_LEASE : lease;
    }

    private static int limit(int requested, int fallback, int max) {
        if (requested < 0 || requested > max) {
            throw new RegistryException.InvalidArgument("limit must be between 1 and " + max, "limit");
        }
        return requested == 0 ? fallback : requested;
    }

    private interface IoCall<T> {
        T call() throws IOException;
    }

    private static <T> T io(IoCall<T> call) {
        try {
            return call.call();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T> void answer(StreamObserver<T> responses, java.util.function.Supplier<T> call) {
        ModelRegistryGrpcService.answer(responses, call);
    }
}

package dev.llmplatform.gateway.batch;

import com.google.protobuf.ByteString;
import dev.llmplatform.proto.v1.Batch;
import dev.llmplatform.proto.v1.BatchFile;
import dev.llmplatform.proto.v1.BatchStatus;
import dev.llmplatform.proto.v1.BatchStoreGrpc;
import dev.llmplatform.proto.v1.BatchTokenUsage;
import dev.llmplatform.proto.v1.CancelBatchRequest;
import dev.llmplatform.proto.v1.CreateBatchRequest;
import dev.llmplatform.proto.v1.DeleteFileRequest;
import dev.llmplatform.proto.v1.DeleteFileResponse;
import dev.llmplatform.proto.v1.FileChunk;
import dev.llmplatform.proto.v1.GetBatchRequest;
import dev.llmplatform.proto.v1.GetBatchTokenUsageRequest;
import dev.llmplatform.proto.v1.GetFileRequest;
import dev.llmplatform.proto.v1.ListBatchesRequest;
import dev.llmplatform.proto.v1.ListBatchesResponse;
import dev.llmplatform.proto.v1.ListFilesRequest;
import dev.llmplatform.proto.v1.ListFilesResponse;
import dev.llmplatform.proto.v1.ReadFileContentRequest;
import dev.llmplatform.proto.v1.UploadFileHeader;
import dev.llmplatform.proto.v1.UploadFileRequest;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The registry's BatchStore on a real socket, in memory: just enough of its behaviour (owners, statuses, pages) to
 * check the gateway's side. Counts the chunks and cancelled uploads it sees.
 */
final class FakeBatchStore extends BatchStoreGrpc.BatchStoreImplBase {

    final Map<String, BatchFile> files = new ConcurrentHashMap<>();
    final Map<String, byte[]> contents = new ConcurrentHashMap<>();
    final Map<String, Batch> batches = new ConcurrentHashMap<>();
    final AtomicInteger chunks = new AtomicInteger();
    final AtomicInteger cancelledUploads = new AtomicInteger();
    /** Each owner's batch tokens in the last 24 h, as GetBatchTokenUsage answers; absent is 0. */
    final Map<String, Long> tokensLastDay = new ConcurrentHashMap<>();
    final AtomicInteger usageCalls = new AtomicInteger();
    /** When set, GetBatch fails with it (the registry's database away: UNAVAILABLE). */
    volatile io.grpc.StatusRuntimeException getBatchFailure;
    private final AtomicInteger ids = new AtomicInteger();
    private final Server server;

    private FakeBatchStore() {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(this).build();
    }

    static FakeBatchStore start() {
        var fake = new FakeBatchStore();
        try {
            fake.server.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return fake;
    }

    String target() {
        return "static://127.0.0.1:" + server.getPort();
    }

    void stop() {
        server.shutdownNow();
    }

    @Override
    public StreamObserver<UploadFileRequest> uploadFile(StreamObserver<BatchFile> responses) {
        return new StreamObserver<>() {
            UploadFileHeader header;
            final ByteArrayOutputStream content = new ByteArrayOutputStream();

            @Override
            public void onNext(UploadFileRequest part) {
                if (part.hasHeader()) {
                    header = part.getHeader();
                } else {
                    chunks.incrementAndGet();
                    content.writeBytes(part.getChunk().toByteArray());
                }
            }

            @Override
            public void onError(Throwable t) {
                cancelledUploads.incrementAndGet();
            }

            @Override
            public void onCompleted() {
                if (!header.getPurpose().equals("batch")) {
                    responses.onError(Status.INVALID_ARGUMENT.withDescription("purpose must be 'batch'").asRuntimeException());
                    return;
                }
                byte[] bytes = content.toByteArray();
                var file = BatchFile.newBuilder().setId("file-" + ids.incrementAndGet()).setOwner(header.getOwner())
                        .setFilename(header.getFilename()).setPurpose("batch").setBytes(bytes.length)
                        .setCreatedAt(1_700_000_000L + ids.get()).setLineCount((int) new String(bytes).lines().count()).build();
                files.put(file.getId(), file);
                contents.put(file.getId(), bytes);
                responses.onNext(file);
                responses.onCompleted();
            }
        };
    }

    private BatchFile file(String owner, String id) {
        BatchFile file = files.get(id);
        if (file == null || !file.getOwner().equals(owner)) {
            throw Status.NOT_FOUND.withDescription("No file found with id '" + id + "'").asRuntimeException();
        }
        return file;
    }

    private Batch batch(String owner, String id) {
        Batch batch = batches.get(id);
        if (batch == null || !batch.getOwner().equals(owner)) {
            throw Status.NOT_FOUND.withDescription("No batch found with id '" + id + "'").asRuntimeException();
        }
        return batch;
    }

    @Override
    public void getFile(GetFileRequest request, StreamObserver<BatchFile> responses) {
        answer(responses, () -> file(request.getOwner(), request.getFileId()));
    }

    @Override
    public void listFiles(ListFilesRequest request, StreamObserver<ListFilesResponse> responses) {
        answer(responses, () -> ListFilesResponse.newBuilder().addAllFiles(files.values().stream()
                .filter(f -> f.getOwner().equals(request.getOwner())).sorted(Comparator.comparing(BatchFile::getCreatedAt).reversed())
                .toList()).build());
    }

    @Override
    public void deleteFile(DeleteFileRequest request, StreamObserver<DeleteFileResponse> responses) {
        answer(responses, () -> {
            file(request.getOwner(), request.getFileId());
            files.remove(request.getFileId());
            return DeleteFileResponse.newBuilder().setFileId(request.getFileId()).setDeleted(true).build();
        });
    }

    @Override
    public void readFileContent(ReadFileContentRequest request, StreamObserver<FileChunk> responses) {
        try {
            file(request.getOwner(), request.getFileId());
        } catch (RuntimeException e) {
            responses.onError(e);
            return;
        }
        byte[] bytes = contents.get(request.getFileId());
        for (int offset = 0; offset < bytes.length; offset += 7) {
            responses.onNext(FileChunk.newBuilder().setData(ByteString.copyFrom(bytes, offset, Math.min(7, bytes.length - offset))).build());
        }
        responses.onCompleted();
    }

    @Override
    public void createBatch(CreateBatchRequest request, StreamObserver<Batch> responses) {
        answer(responses, () -> {
            BatchFile input = file(request.getOwner(), request.getInputFileId());
            if (!request.getCompletionWindow().equals("24h")) {
                throw Status.INVALID_ARGUMENT.withDescription("completion_window must be 24h here").asRuntimeException();
            }
            int n = ids.incrementAndGet();
            var batch = Batch.newBuilder().setId("batch_" + n).setOwner(request.getOwner()).setEndpoint(request.getEndpoint())
                    .setInputFileId(input.getId()).setCompletionWindow("24h").setStatus(BatchStatus.BATCH_STATUS_VALIDATING)
                    .setCreatedAt(1_700_000_000L + n).setExpiresAt(1_700_086_400L + n).setTotal(input.getLineCount())
                    .setInputTokens(12).setOutputTokens(5).setEstimatedJoules(41.25).setMeasuredJoules(38.5)
                    .setPlan("energy-first: cpu-0 100%")
                    .setTokenBudgetPerDay(request.getTokenBudgetPerDay())
                    .putAllMetadata(request.getMetadataMap()).build();
            batches.put(batch.getId(), batch);
            return batch;
        });
    }

    @Override
    public void getBatchTokenUsage(GetBatchTokenUsageRequest request, StreamObserver<BatchTokenUsage> responses) {
        usageCalls.incrementAndGet();
        answer(responses, () -> BatchTokenUsage.newBuilder().setOwner(request.getOwner())
                .setTokens(tokensLastDay.getOrDefault(request.getOwner(), 0L)).setWindowSeconds(86_400).build());
    }

    @Override
    public void getBatch(GetBatchRequest request, StreamObserver<Batch> responses) {
        answer(responses, () -> {
            if (getBatchFailure != null) {
                throw getBatchFailure;
            }
            return batch(request.getOwner(), request.getBatchId());
        });
    }

    @Override
    public void listBatches(ListBatchesRequest request, StreamObserver<ListBatchesResponse> responses) {
        answer(responses, () -> {
            List<Batch> mine = new ArrayList<>(batches.values().stream().filter(b -> b.getOwner().equals(request.getOwner()))
                    .sorted(Comparator.comparing(Batch::getCreatedAt).reversed()).toList());
            if (!request.getAfter().isEmpty()) {
                long after = batch(request.getOwner(), request.getAfter()).getCreatedAt();
                mine.removeIf(b -> b.getCreatedAt() >= after);
            }
            int limit = request.getLimit() == 0 ? 20 : request.getLimit();
            return ListBatchesResponse.newBuilder().addAllBatches(mine.stream().limit(limit).toList())
                    .setHasMore(mine.size() > limit).build();
        });
    }

    @Override
    public void cancelBatch(CancelBatchRequest request, StreamObserver<Batch> responses) {
        answer(responses, () -> {
            Batch batch = batch(request.getOwner(), request.getBatchId());
            if (batch.getStatus() == BatchStatus.BATCH_STATUS_CANCELLED) {
                throw Status.FAILED_PRECONDITION.withDescription("batch has already ended (cancelled)").asRuntimeException();
            }
            Batch cancelled = batch.toBuilder().setStatus(BatchStatus.BATCH_STATUS_CANCELLED).setCancellingAt(batch.getCreatedAt() + 1)
                    .setCancelledAt(batch.getCreatedAt() + 1).build();
            batches.put(cancelled.getId(), cancelled);
            return cancelled;
        });
    }

    private static <T> void answer(StreamObserver<T> responses, java.util.function.Supplier<T> call) {
        T result;
        try {
            result = call.get();
        } catch (RuntimeException e) {
            responses.onError(e);
            return;
        }
        responses.onNext(result);
        responses.onCompleted();
    }
}

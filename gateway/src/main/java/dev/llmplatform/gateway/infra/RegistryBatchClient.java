package dev.llmplatform.gateway.infra;

import com.google.protobuf.ByteString;
import dev.llmplatform.gateway.config.GatewayProperties;
import dev.llmplatform.proto.v1.Batch;
import dev.llmplatform.proto.v1.BatchFile;
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
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The registry's BatchStore API as Reactor types, with flow control both ways: an upload sends a chunk only when
 * the registry is ready for it, and a download asks the registry for as many chunks as the client has taken.
 */
@Component
public class RegistryBatchClient {

    private static final Duration UPLOAD_DEADLINE = Duration.ofMinutes(30);

    private final BatchStoreGrpc.BatchStoreStub stub;
    private final Duration timeout;

    public RegistryBatchClient(BatchStoreGrpc.BatchStoreStub stub, GatewayProperties properties) {
        this.stub = stub;
        this.timeout = properties.requestTimeout();
    }

    public Mono<BatchFile> getFile(GetFileRequest request) {
        return unary(request, stub()::getFile);
    }

    public Mono<ListFilesResponse> listFiles(ListFilesRequest request) {
        return unary(request, stub()::listFiles);
    }

    public Mono<DeleteFileResponse> deleteFile(DeleteFileRequest request) {
        return unary(request, stub()::deleteFile);
    }

    public Mono<Batch> createBatch(CreateBatchRequest request) {
        return unary(request, stub()::createBatch);
    }

    public Mono<Batch> getBatch(GetBatchRequest request) {
        return unary(request, stub()::getBatch);
    }

    public Mono<ListBatchesResponse> listBatches(ListBatchesRequest request) {
        return unary(request, stub()::listBatches);
    }

    public Mono<Batch> cancelBatch(CancelBatchRequest request) {
        return unary(request, stub()::cancelBatch);
    }

    /** The owner's batch tokens in the last 24 h. */
    public Mono<BatchTokenUsage> batchTokenUsage(GetBatchTokenUsageRequest request) {
        return unary(request, stub()::getBatchTokenUsage);
    }

    /** A file's bytes, chunk by chunk, as fast as the subscriber takes them. */
    public Flux<ByteString> readFileContent(ReadFileContentRequest request) {
        return Flux.create(sink -> {
            var reader = new ClientResponseObserver<ReadFileContentRequest, FileChunk>() {
                volatile ClientCallStreamObserver<ReadFileContentRequest> call;

                @Override
                public void beforeStart(ClientCallStreamObserver<ReadFileContentRequest> call) {
                    this.call = call;
                    call.disableAutoRequestWithInitial(1);
                }

                @Override
                public void onNext(FileChunk chunk) {
                    sink.next(chunk.getData());
                }

                @Override
                public void onError(Throwable t) {
                    sink.error(t);
                }

                @Override
                public void onCompleted() {
                    sink.complete();
                }
            };
            stub.withDeadlineAfter(UPLOAD_DEADLINE.toMillis(), TimeUnit.MILLISECONDS).readFileContent(request, reader);
            // the call has started: from now on each chunk the subscriber asks for is asked of the registry
            sink.onRequest(n -> reader.call.request((int) Math.min(n, Integer.MAX_VALUE)));
            sink.onCancel(() -> reader.call.cancel("the client went away", null));
        }, FluxSink.OverflowStrategy.BUFFER);
    }

    /** Starts an upload; send its chunks with {@link Upload#send}, then {@link Upload#finish} or {@link Upload#abort}. */
    public Upload startUpload(UploadFileHeader header) {
        var upload = new Upload();
        StreamObserver<UploadFileRequest> requests = stub.withDeadlineAfter(UPLOAD_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .uploadFile(upload);
        upload.requests = requests;
        requests.onNext(UploadFileRequest.newBuilder().setHeader(header).build());
        return upload;
    }

    /** One upload in flight. Calls to {@link #send} must not overlap: each waits until the previous is sent. */
    public static final class Upload implements ClientResponseObserver<UploadFileRequest, BatchFile> {

        private final Sinks.One<BatchFile> result = Sinks.one();
        private volatile ClientCallStreamObserver<UploadFileRequest> call;
        private StreamObserver<UploadFileRequest> requests;
        private volatile Sinks.Empty<Void> waiting;
        private volatile boolean failed;

        @Override
        public void beforeStart(ClientCallStreamObserver<UploadFileRequest> call) {
            this.call = call;
            call.setOnReadyHandler(() -> {
                Sinks.Empty<Void> w = waiting;
                if (w != null) {
                    waiting = null;
                    w.tryEmitEmpty();
                }
            });
        }

        /** Sends one chunk once the registry is ready for more; completes when it is sent. */
        public Mono<Void> send(ByteString chunk) {
            return Mono.defer(() -> {
                if (failed) {
                    return Mono.empty(); // the registry refused the upload; the rest of the body is drained unsent
                }
                if (call.isReady()) {
                    requests.onNext(UploadFileRequest.newBuilder().setChunk(chunk).build());
                    return Mono.empty();
                }
                Sinks.Empty<Void> w = Sinks.empty();
                waiting = w;
                if (call.isReady()) { // became ready between the check and the registration
                    waiting = null;
                    w.tryEmitEmpty();
                }
                // the upload may also have failed meanwhile: stop waiting then
                return w.asMono().or(result.asMono().then()).then(Mono.fromRunnable(() ->
                        requests.onNext(UploadFileRequest.newBuilder().setChunk(chunk).build())));
            });
        }

        /** Ends the upload: the registry stores the file and answers with it. */
        public Mono<BatchFile> finish() {
            requests.onCompleted();
            return result.asMono();
        }

        /** Cancels the upload: the registry stores nothing. */
        public void abort(String why) {
            call.cancel(why, null);
        }

        /** The registry's answer, or its refusal (which may come before the whole file was sent). */
        public Mono<BatchFile> result() {
            return result.asMono();
        }

        @Override
        public void onNext(BatchFile file) {
            result.tryEmitValue(file);
        }

        @Override
        public void onError(Throwable t) {
            failed = true;
            result.tryEmitError(t);
            Sinks.Empty<Void> w = waiting;
            if (w != null) {
                w.tryEmitEmpty();
            }
        }

        @Override
        public void onCompleted() {
        }
    }

    private BatchStoreGrpc.BatchStoreStub stub() {
        return stub.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static <Q, R> Mono<R> unary(Q request, BiConsumer<Q, StreamObserver<R>> call) {
        return Mono.create(sink -> call.accept(request, new StreamObserver<>() {
            @Override
            public void onNext(R value) {
                sink.success(value);
            }

            @Override
            public void onError(Throwable t) {
                sink.error(t);
            }

            @Override
            public void onCompleted() {
                sink.success();
            }
        }));
    }
}

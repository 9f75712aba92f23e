package dev.llmplatform.scheduler.api;

import dev.llmplatform.commons.grpc.GrpcStatuses;
import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.ScheduleEmbedRequest;
import dev.llmplatform.proto.v1.ScheduleEmbedResponse;
import dev.llmplatform.proto.v1.WorkerEmbedRequest;
import dev.llmplatform.proto.v1.WorkerEmbedResponse;
import dev.llmplatform.scheduler.infra.WorkerPool;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Embed request: placed on the least busy ready worker that serves the model, and on the next one when a worker
 * cannot take it (UNAVAILABLE, RESOURCE_EXHAUSTED, or NOT_FOUND because it dropped the model since its last report).
 * Embedding has no side effects, so trying again elsewhere is always safe. The worker calls run in the caller's gRPC
 * context, so the caller's deadline bounds them and the caller's cancellation cancels them.
 */
final class EmbeddingRelay {

    private static final Logger log = LoggerFactory.getLogger(EmbeddingRelay.class);
    /** Bounds a call whose caller set no deadline of its own. */
    static final long DEFAULT_DEADLINE_SECONDS = 60;

    private final WorkerPool pool;
    private final ScheduleEmbedRequest request;
    private final StreamObserver<ScheduleEmbedResponse> caller;
    private final Context context = Context.current();
    private final Deadline deadline;
    private final Set<String> failed = new LinkedHashSet<>();

    EmbeddingRelay(WorkerPool pool, ScheduleEmbedRequest request, StreamObserver<ScheduleEmbedResponse> caller) {
        this.pool = pool;
        this.request = request;
        this.caller = caller;
        this.deadline = context.getDeadline() != null ? context.getDeadline()
                : Deadline.after(DEFAULT_DEADLINE_SECONDS, TimeUnit.SECONDS);
    }

    void start() {
        if (request.getModel().isBlank()) {
            caller.onError(GrpcStatuses.invalidArgument("model is required"));
            return;
        }
        if (request.getInputsCount() == 0) {
            caller.onError(GrpcStatuses.invalidArgument("input must not be empty"));
            return;
        }
        next();
    }

    private void next() {
        if (context.isCancelled()) {
            return;
        }
        String model = request.getModel();
        var worker = pool.readyWorkersServing(model).stream().filter(id -> !failed.contains(id)).findFirst();
        if (worker.isEmpty()) {
            caller.onError(!pool.anyWorkerReported(model)
                    ? GrpcStatuses.notFound("The model '" + model + "' does not exist or is not served")
                    : GrpcStatuses.unavailable("no ready worker serves the model '" + model + "'"
                            + (failed.isEmpty() ? "" : " (tried " + String.join(", ", failed) + ")")));
            return;
        }
        String workerId = worker.get();
        var message = WorkerEmbedRequest.newBuilder().setModel(model).addAllInputs(request.getInputsList()).build();
        context.run(() -> InferenceWorkerGrpc.newStub(pool.channel(workerId).orElseThrow())
                .withDeadline(deadline)
                .embed(message, new StreamObserver<>() {
                    @Override
                    public void onNext(WorkerEmbedResponse response) {
                        caller.onNext(ScheduleEmbedResponse.newBuilder()
                                .addAllEmbeddings(response.getEmbeddingsList())
                                .setPromptTokens(response.getPromptTokens())
                                .build());
                    }

                    @Override
                    public void onError(Throwable t) {
                        Status status = Status.fromThrowable(t);
                        switch (status.getCode()) {
                            case UNAVAILABLE, RESOURCE_EXHAUSTED, NOT_FOUND -> {
                                log.warn("Worker {} could not embed request {} ({}); trying another", workerId,
                                        request.getRequestId(), status);
                                failed.add(workerId);
                                next();
                            }
                            default -> caller.onError(status.asRuntimeException());
                        }
                    }

                    @Override
                    public void onCompleted() {
                        caller.onCompleted();
                    }
                }));
    }
}

package dev.llmplatform.scheduler.infra;

import dev.llmplatform.commons.grpc.GrpcStatuses;
import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.ScheduleEmbedRequest;
import dev.llmplatform.proto.v1.ScheduleEmbedResponse;
import dev.llmplatform.proto.v1.WorkerEmbedRequest;
import dev.llmplatform.proto.v1.WorkerEmbedResponse;
import dev.llmplatform.scheduler.domain.EmbeddingPlacementPolicy;
import dev.llmplatform.scheduler.domain.Placement;
import dev.llmplatform.scheduler.domain.PlacementPolicy;
import dev.llmplatform.scheduler.domain.PlacementRequest;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Runs an Embed request through the same admission and failover as generation, placed by
 * {@link EmbeddingPlacementPolicy} on the least busy worker that serves the model, and on another when a worker cannot take it
 * (UNAVAILABLE, RESOURCE_EXHAUSTED, or NOT_FOUND because it dropped the model since its last report). Embedding has
 * no side effects, so trying again elsewhere is always safe. The worker calls run in the caller's gRPC context, so
 * the caller's deadline bounds them and the caller's cancellation cancels them.
 */
@Component
public class EmbeddingRelay {

    private static final Logger log = LoggerFactory.getLogger(EmbeddingRelay.class);
    /** Bounds a call whose caller set no deadline of its own. */
    static final long DEFAULT_DEADLINE_SECONDS = 60;
    /** Placement's view of an embedding's size: it reads its inputs once, about four characters a token. */
    private static final int CHARACTERS_PER_TOKEN = 4;

    private final WorkerPool pool;
    private final AdmissionControl admission;
    private final PlacementPolicy placement = new EmbeddingPlacementPolicy();

    public EmbeddingRelay(WorkerPool pool, AdmissionControl admission) {
        this.pool = pool;
        this.admission = admission;
    }

    /** Must be called while the caller's service method runs (it takes the call's cancellation handler). */
    public void submit(ScheduleEmbedRequest request, StreamObserver<ScheduleEmbedResponse> caller) {
        if (request.getModel().isBlank()) {
            caller.onError(GrpcStatuses.invalidArgument("model is required"));
            return;
        }
        if (request.getInputsCount() == 0) {
            caller.onError(GrpcStatuses.invalidArgument("input must not be empty"));
            return;
        }
        admission.submit(new EmbeddingJob(request, caller));
    }

    private final class EmbeddingJob extends AdmittedRequest {
        private final ScheduleEmbedRequest request;
        private final StreamObserver<ScheduleEmbedResponse> caller;
        private final Deadline deadline;

        EmbeddingJob(ScheduleEmbedRequest request, StreamObserver<ScheduleEmbedResponse> caller) {
            super(placement, 0, PlacementRequest.of(request.getModel(), promptTokens(request), 0));
            this.request = request;
            this.caller = caller;
            this.deadline = context().getDeadline() != null ? context().getDeadline()
                    : Deadline.after(DEFAULT_DEADLINE_SECONDS, TimeUnit.SECONDS);
            if (caller instanceof ServerCallStreamObserver<ScheduleEmbedResponse> call) {
                call.setOnCancelHandler(() -> admission.cancelled(this));
            }
        }

        @Override
        protected void start(Placement.Placed placed) {
            PooledWorker worker = pool.worker(placed.worker().id()).orElseThrow();
            long sent = System.nanoTime();
            var message = WorkerEmbedRequest.newBuilder().setModel(request.getModel()).addAllInputs(request.getInputsList()).build();
            InferenceWorkerGrpc.newStub(worker.channel()).withDeadline(deadline).embed(message, new StreamObserver<>() {
                @Override
                public void onNext(WorkerEmbedResponse response) {
                    caller.onNext(ScheduleEmbedResponse.newBuilder()
                            .addAllEmbeddings(response.getEmbeddingsList())
                            .setPromptTokens(response.getPromptTokens())
                            .setEstimatedJoules(placed.estimate().joules())
                            .setMeasuredJoules(worker.snapshot().profile().dynamicWatts() * (System.nanoTime() - sent) / 1e9)
                            .build());
                }

                @Override
                public void onError(Throwable t) {
                    Status status = Status.fromThrowable(t);
                    if (callerGone() || context().isCancelled()) {
                        return;
                    }
                    switch (status.getCode()) {
                        case UNAVAILABLE, RESOURCE_EXHAUSTED, NOT_FOUND -> {
                            log.warn("Worker {} could not embed request {} ({}); trying another", worker.id(),
                                    request.getRequestId(), status);
                            failedOn(worker.id());
                            admission.resubmit(EmbeddingJob.this);
                        }
                        default -> caller.onError(status.asRuntimeException());
                    }
                }

                @Override
                public void onCompleted() {
                    caller.onCompleted();
                }
            });
        }

        @Override
        protected void fail(StatusRuntimeException error) {
            caller.onError(error);
        }

        @Override
        protected String requestId() {
            return request.getRequestId();
        }
    }

    private static int promptTokens(ScheduleEmbedRequest request) {
        long characters = 0;
        for (String input : request.getInputsList()) {
            characters += input.length();
        }
        return (int) Math.min(Integer.MAX_VALUE, characters / CHARACTERS_PER_TOKEN + request.getInputsCount());
    }
}

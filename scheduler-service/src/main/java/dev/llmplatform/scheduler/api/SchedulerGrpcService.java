package dev.llmplatform.scheduler.api;

import dev.llmplatform.commons.grpc.GrpcStatuses;
import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.ListServedModelsRequest;
import dev.llmplatform.proto.v1.ListServedModelsResponse;
import dev.llmplatform.proto.v1.SamplingParams;
import dev.llmplatform.proto.v1.ScheduleEmbedRequest;
import dev.llmplatform.proto.v1.ScheduleEmbedResponse;
import dev.llmplatform.proto.v1.ScheduleGenerateChunk;
import dev.llmplatform.proto.v1.ScheduleGenerateRequest;
import dev.llmplatform.proto.v1.SchedulerGrpc;
import dev.llmplatform.proto.v1.ServedModel;
import dev.llmplatform.proto.v1.WorkerGenerateChunk;
import dev.llmplatform.proto.v1.WorkerGenerateRequest;
import dev.llmplatform.scheduler.domain.Placement;
import dev.llmplatform.scheduler.domain.WorkerSelector;
import dev.llmplatform.scheduler.domain.WorkerSnapshot;
import dev.llmplatform.scheduler.infra.TokenizerClient;
import dev.llmplatform.scheduler.infra.WorkerPool;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * The gateway's entry into the pool: tokenizes, checks the context, places the request and relays the worker's
 * token stream. A worker that fails before its first token is replaced by another; once text has been relayed
 * the failure goes to the caller, since a retry would repeat text it already has.
 */
@Service
public class SchedulerGrpcService extends SchedulerGrpc.SchedulerImplBase {

    private static final Logger log = LoggerFactory.getLogger(SchedulerGrpcService.class);

    private final WorkerPool pool;
    private final WorkerSelector selector;
    private final TokenizerClient tokenizer;

    public SchedulerGrpcService(WorkerPool pool, WorkerSelector selector, TokenizerClient tokenizer) {
        this.pool = pool;
        this.selector = selector;
        this.tokenizer = tokenizer;
    }

    @Override
    public void generate(ScheduleGenerateRequest request, StreamObserver<ScheduleGenerateChunk> responses) {
        var call = (ServerCallStreamObserver<ScheduleGenerateChunk>) responses;
        try {
            validate(request);
            String model = request.getModel();
            List<WorkerSnapshot> workers = List.copyOf(pool.snapshot());
            int contextLength = workers.stream().filter(w -> w.contextLengths().containsKey(model))
                    .mapToInt(w -> w.contextLengths().get(model)).min()
                    .orElseThrow(() -> GrpcStatuses.notFound("The model '" + model + "' does not exist or is not served"));
            List<Integer> prompt = request.hasMessages()
                    ? tokenizer.chatPrompt(model, request.getMessages().getMessagesList())
                    : tokenizer.textPrompt(model, request.getPrompt());
            int maxTokens = resolveMaxTokens(request.getSampling().getMaxTokens(), prompt.size(), contextLength);
            var workerRequest = WorkerGenerateRequest.newBuilder()
                    .setRequestId(request.getRequestId())
                    .setModel(model)
                    .addAllPromptTokenIds(prompt)
                    .setSampling(request.getSampling().toBuilder().setMaxTokens(maxTokens))
                    .build();
            new Relay(workerRequest, call).start();
        } catch (StatusRuntimeException e) {
            call.onError(e);
        }
    }

    private static void validate(ScheduleGenerateRequest request) {
        if (request.getModel().isBlank()) {
            throw GrpcStatuses.invalidArgument("model is required");
        }
        if (request.getInputCase() == ScheduleGenerateRequest.InputCase.INPUT_NOT_SET) {
            throw GrpcStatuses.invalidArgument("either messages or prompt is required");
        }
        if (request.hasMessages() && request.getMessages().getMessagesCount() == 0) {
            throw GrpcStatuses.invalidArgument("messages must not be empty");
        }
        SamplingParams s = request.getSampling();
        if (s.getMaxTokens() < 0) {
            throw GrpcStatuses.invalidArgument("max_tokens must not be negative");
        }
        if (s.getTemperature() < 0 || s.getTemperature() > 2) {
            throw GrpcStatuses.invalidArgument("temperature must be between 0 and 2");
        }
        if (s.getTopP() < 0 || s.getTopP() > 1) {
            throw GrpcStatuses.invalidArgument("top_p must be between 0 and 1");
        }
    }

    /** OpenAI's wording, so that clients that parse it keep working. */
    static int resolveMaxTokens(int requested, int promptTokens, int contextLength) {
        int room = contextLength - promptTokens;
        if (room <= 0 || requested > room) {
            int asked = requested > 0 ? requested : 1;
            throw GrpcStatuses.invalidArgument("This model's maximum context length is " + contextLength
                    + " tokens. However, you requested " + (promptTokens + asked) + " tokens (" + promptTokens
                    + " in the prompt, " + asked + " for the completion). Please reduce the prompt or the completion length.");
        }
        return requested == 0 ? room : requested;
    }

    /** One request's stream from a worker to the gateway, with failover before the first token. */
    private final class Relay {

        private final WorkerGenerateRequest request;
        private final ServerCallStreamObserver<ScheduleGenerateChunk> caller;
        private final Set<String> failed = new HashSet<>();
        private volatile ClientCallStreamObserver<WorkerGenerateRequest> workerCall;
        private volatile boolean callerGone;

        Relay(WorkerGenerateRequest request, ServerCallStreamObserver<ScheduleGenerateChunk> caller) {
            this.request = request;
            this.caller = caller;
            caller.setOnCancelHandler(() -> {
                callerGone = true;
                var current = workerCall;
                if (current != null) {
                    current.cancel("the caller went away", null);
                }
            });
        }

        void start() {
            if (callerGone) {
                return;
            }
            switch (selector.select(request.getModel(), pool.snapshot(), failed)) {
                case Placement.Placed placed -> {
                    String workerId = placed.worker().id();
                    InferenceWorkerGrpc.newStub(pool.channel(workerId).orElseThrow()).generate(request, new Attempt(workerId));
                }
                case Placement.UnknownModel unknown ->
                        caller.onError(GrpcStatuses.notFound("The model '" + unknown.model() + "' does not exist or is not served"));
                case Placement.NoCapacity none -> caller.onError(GrpcStatuses.unavailable(
                        failed.isEmpty() ? none.reason() : none.reason() + " (failed: " + failed + ")"));
            }
        }

        /** The stream from one worker. */
        private final class Attempt implements ClientResponseObserver<WorkerGenerateRequest, WorkerGenerateChunk> {

            private final String workerId;
            private boolean relayedAny;

            Attempt(String workerId) {
                this.workerId = workerId;
            }

            @Override
            public void beforeStart(ClientCallStreamObserver<WorkerGenerateRequest> requestStream) {
                workerCall = requestStream;
            }

            @Override
            public void onNext(WorkerGenerateChunk chunk) {
                var out = ScheduleGenerateChunk.newBuilder()
                        .setText(chunk.getText())
                        .setTokenCount(chunk.getTokenCount())
                        .setFinishReason(chunk.getFinishReason());
                if (chunk.hasUsage()) {
                    out.setUsage(chunk.getUsage());
                }
                if (!relayedAny) {
                    out.setWorkerId(workerId);
                    relayedAny = true;
                }
                caller.onNext(out.build());
            }

            @Override
            public void onError(Throwable t) {
                Status status = Status.fromThrowable(t);
                if (callerGone) {
                    return;
                }
                boolean workerUnusable = status.getCode() == Status.Code.UNAVAILABLE
                        || status.getCode() == Status.Code.RESOURCE_EXHAUSTED;
                if (!relayedAny && workerUnusable) {
                    log.warn("Worker {} failed request {} before its first token ({}); placing it elsewhere",
                            workerId, request.getRequestId(), status);
                    failed.add(workerId);
                    start();
                    return;
                }
                caller.onError(status.asRuntimeException());
            }

            @Override
            public void onCompleted() {
                caller.onCompleted();
            }
        }
    }

    @Override
    public void embed(ScheduleEmbedRequest request, StreamObserver<ScheduleEmbedResponse> responses) {
        new EmbeddingRelay(pool, request, responses).start();
    }

    @Override
    public void listServedModels(ListServedModelsRequest request, StreamObserver<ListServedModelsResponse> responses) {
        var response = ListServedModelsResponse.newBuilder();
        pool.servedModels().forEach((model, workers) -> response.addModels(ServedModel.newBuilder()
                .setId(model.getId())
                .setOwnedBy(model.getOwnedBy())
                .setCreatedEpochSeconds(model.getCreatedEpochSeconds())
                .setContextLength(model.getContextLength())
                .addAllWorkerIds(workers)));
        responses.onNext(response.build());
        responses.onCompleted();
    }
}

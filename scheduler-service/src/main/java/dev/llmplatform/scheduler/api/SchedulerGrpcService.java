package dev.llmplatform.scheduler.api;

import dev.llmplatform.commons.grpc.GrpcStatuses;
import dev.llmplatform.proto.v1.ListServedModelsRequest;
import dev.llmplatform.proto.v1.ListServedModelsResponse;
import dev.llmplatform.proto.v1.SamplingParams;
import dev.llmplatform.proto.v1.ScheduleEmbedRequest;
import dev.llmplatform.proto.v1.ScheduleEmbedResponse;
import dev.llmplatform.proto.v1.ScheduleGenerateChunk;
import dev.llmplatform.proto.v1.ScheduleGenerateRequest;
import dev.llmplatform.proto.v1.SchedulerGrpc;
import dev.llmplatform.proto.v1.ServedModel;
import dev.llmplatform.proto.v1.WorkerGenerateRequest;
import dev.llmplatform.scheduler.config.SchedulerProperties;
import dev.llmplatform.scheduler.domain.PlacementPolicies;
import dev.llmplatform.scheduler.domain.PlacementPolicy;
import dev.llmplatform.scheduler.domain.PlannedWorkerPolicy;
import dev.llmplatform.scheduler.domain.WorkerSnapshot;
import dev.llmplatform.scheduler.infra.AdmissionControl;
import dev.llmplatform.scheduler.infra.EmbeddingRelay;
import dev.llmplatform.scheduler.infra.GenerationRelay;
import dev.llmplatform.scheduler.infra.TokenizerClient;
import dev.llmplatform.scheduler.infra.WorkerPool;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.springframework.stereotype.Service;

/**
 * The gateway's entry into the pool: checks the request, resolves its placement policy, tokenizes, checks the
 * context and hands it to admission (placement, then the relay with failover); Embed goes the same way.
 */
@Service
public class SchedulerGrpcService extends SchedulerGrpc.SchedulerImplBase {

    private final WorkerPool pool;
    private final PlacementPolicies policies;
    private final TokenizerClient tokenizer;
    private final GenerationRelay generations;
    private final EmbeddingRelay embeddings;
    private final AdmissionControl admission;
    private final SchedulerProperties properties;

    public SchedulerGrpcService(WorkerPool pool, PlacementPolicies policies, TokenizerClient tokenizer,
                                GenerationRelay generations, EmbeddingRelay embeddings, AdmissionControl admission,
                                SchedulerProperties properties) {
        this.pool = pool;
        this.policies = policies;
        this.tokenizer = tokenizer;
        this.generations = generations;
        this.embeddings = embeddings;
        this.admission = admission;
        this.properties = properties;
    }

    @Override
    public void generate(ScheduleGenerateRequest request, StreamObserver<ScheduleGenerateChunk> responses) {
        var call = (ServerCallStreamObserver<ScheduleGenerateChunk>) responses;
        try {
            validate(request);
            PlacementPolicy policy = policies.resolve(request.getPolicy()).orElseThrow(() -> GrpcStatuses.invalidArgument(
                    "unknown placement policy '" + request.getPolicy() + "'; known: " + policies.names()));
            if (!request.getPlannedWorkerId().isEmpty()) {
                policy = new PlannedWorkerPolicy(request.getPlannedWorkerId(), policy);
            }
            String model = request.getModel();
            List<WorkerSnapshot> workers = pool.snapshot();
            int contextLength = workers.stream().filter(w -> w.contextLengths().containsKey(model))
                    .mapToInt(w -> w.contextLengths().get(model)).min()
                    .orElseThrow(() -> admission.notServed(model));
            List<Integer> prompt = switch (request.getInputCase()) {
                case MESSAGES -> tokenizer.chatPrompt(model, request.getMessages().getMessagesList(), request.getToolsJson());
                case PROMPT_TOKEN_IDS -> request.getPromptTokenIds().getIdsList();
                default -> tokenizer.textPrompt(model, request.getPrompt());
            };
            int maxTokens = resolveMaxTokens(request.getSampling().getMaxTokens(), prompt.size(), contextLength);
            var workerRequest = WorkerGenerateRequest.newBuilder()
                    .setRequestId(request.getRequestId())
                    .setModel(model)
                    .addAllPromptTokenIds(prompt)
                    .setSampling(request.getSampling().toBuilder().setMaxTokens(maxTokens))
                    .build();
            double finishWithin = (request.getFinishWithinMillis() > 0 ? request.getFinishWithinMillis()
                    : properties.placement().finishWithin().toMillis()) / 1000.0;
            var deadline = Context.current().getDeadline();
            if (deadline != null) {
                finishWithin = Math.min(finishWithin, deadline.timeRemaining(TimeUnit.MILLISECONDS) / 1000.0);
            }
            generations.submit(workerRequest, call, policy, request.getPriority(), request.getSessionId(), finishWithin);
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
        if (request.hasPromptTokenIds() && (request.getPromptTokenIds().getIdsCount() == 0
                || request.getPromptTokenIds().getIdsList().stream().anyMatch(id -> id < 0))) {
            throw GrpcStatuses.invalidArgument("prompt_token_ids must be a non-empty list of token ids (non-negative)");
        }
        if (request.getFinishWithinMillis() < 0) {
            throw GrpcStatuses.invalidArgument("finish_within_millis must not be negative");
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
        // 0 is the unset value (off, as 1 is); negative, NaN or above vLLM's 2 is not a penalty llama.cpp should apply
        if (!(s.getRepetitionPenalty() >= 0 && s.getRepetitionPenalty() <= 2)) {
            throw GrpcStatuses.invalidArgument("repetition_penalty must be greater than 0 and at most 2 (0: not set)");
        }
        if (s.getTopLogprobs() < 0 || s.getTopLogprobs() > 20) {
            throw GrpcStatuses.invalidArgument("top_logprobs must be between 0 and 20");
        }
        if (!request.getToolsJson().isEmpty() && !request.hasMessages()) {
            throw GrpcStatuses.invalidArgument("tools need chat messages");
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

    @Override
    public void embed(ScheduleEmbedRequest request, StreamObserver<ScheduleEmbedResponse> responses) {
        embeddings.submit(request, responses);
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

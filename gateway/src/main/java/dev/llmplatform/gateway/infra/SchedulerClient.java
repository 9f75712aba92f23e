package dev.llmplatform.gateway.infra;

import dev.llmplatform.gateway.config.GatewayProperties;
import dev.llmplatform.gateway.domain.EmbeddingRequest;
import dev.llmplatform.gateway.domain.EmbeddingResult;
import dev.llmplatform.gateway.domain.FinishReason;
import dev.llmplatform.gateway.domain.GeneratedChunk;
import dev.llmplatform.gateway.domain.TokenLogprob;
import dev.llmplatform.gateway.domain.GenerationRequest;
import dev.llmplatform.gateway.domain.RoutingHints;
import dev.llmplatform.gateway.domain.ServedModel;
import dev.llmplatform.gateway.domain.TokenUsage;
import dev.llmplatform.proto.v1.ChatMessage;
import dev.llmplatform.proto.v1.ChatMessages;
import dev.llmplatform.proto.v1.ListServedModelsRequest;
import dev.llmplatform.proto.v1.ScheduleEmbedRequest;
import dev.llmplatform.proto.v1.ScheduleEmbedResponse;
import dev.llmplatform.proto.v1.ListServedModelsResponse;
import dev.llmplatform.proto.v1.PromptTokenIds;
import dev.llmplatform.proto.v1.SamplingParams;
import dev.llmplatform.proto.v1.ScheduleGenerateChunk;
import dev.llmplatform.proto.v1.ScheduleGenerateRequest;
import dev.llmplatform.proto.v1.SchedulerGrpc;
import io.grpc.Metadata;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The scheduler's gRPC API as Reactor types. Cancelling a returned publisher (the HTTP client went away)
 * cancels the gRPC call, so the scheduler stops generating for nobody. Failures arrive as the gRPC
 * {@link io.grpc.StatusRuntimeException}; the HTTP layer decides what they mean to a client.
 */
@Component
public class SchedulerClient {

    public static final Metadata.Key<String> REQUEST_ID = Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);

    private final SchedulerGrpc.SchedulerStub scheduler;
    private final GatewayProperties properties;

    public SchedulerClient(SchedulerGrpc.SchedulerStub scheduler, GatewayProperties properties) {
        this.scheduler = scheduler;
        this.properties = properties;
    }

    public Flux<GeneratedChunk> generate(GenerationRequest request) {
        ScheduleGenerateRequest message = toProto(request);
        return Flux.<ScheduleGenerateChunk>create(sink -> stub(request.requestId(), properties.generationTimeout())
                        .generate(message, new SinkObserver<>(sink::next, sink::error, sink::complete, sink::onCancel)))
                .map(SchedulerClient::toDomain);
    }

    public Mono<List<ServedModel>> listServedModels(String requestId) {
        return Mono.<ListServedModelsResponse>create(sink -> stub(requestId, properties.requestTimeout())
                        .listServedModels(ListServedModelsRequest.getDefaultInstance(),
                                new SinkObserver<>(sink::success, sink::error, () -> { }, sink::onCancel)))
                .map(response -> response.getModelsList().stream()
                        .map(m -> new ServedModel(m.getId(), m.getOwnedBy(), m.getCreatedEpochSeconds()))
                        .toList());
    }

    public Mono<EmbeddingResult> embed(EmbeddingRequest request) {
        var message = ScheduleEmbedRequest.newBuilder()
                .setRequestId(request.requestId())
                .setModel(request.model())
                .addAllInputs(request.inputs())
                .build();
        return Mono.<ScheduleEmbedResponse>create(sink -> stub(request.requestId(), properties.requestTimeout())
                        .embed(message, new SinkObserver<>(sink::success, sink::error, () -> { }, sink::onCancel)))
                .map(response -> new EmbeddingResult(response.getEmbeddingsList().stream().map(e -> {
                    float[] vector = new float[e.getValuesCount()];
                    for (int i = 0; i < vector.length; i++) {
                        vector[i] = e.getValues(i);
                    }
                    return vector;
                }).toList(), response.getPromptTokens()));
    }

    private SchedulerGrpc.SchedulerStub stub(String requestId, Duration deadline) {
        Metadata headers = new Metadata();
        headers.put(REQUEST_ID, requestId);
        return scheduler.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    static ScheduleGenerateRequest toProto(GenerationRequest request) {
        var sampling = request.sampling();
        var params = SamplingParams.newBuilder()
                .setTemperature((float) sampling.temperature())
                .setTopP((float) sampling.topP())
                .setMaxTokens(sampling.maxTokens())
                .addAllStop(sampling.stop())
                .setFrequencyPenalty((float) sampling.frequencyPenalty())
                .setPresencePenalty((float) sampling.presencePenalty())
                .setRepetitionPenalty((float) sampling.repetitionPenalty())
                .putAllLogitBias(sampling.logitBias())
                .setGrammar(sampling.grammar())
                .setIgnoreEos(sampling.ignoreEos());
        if (sampling.wantsLogprobs()) {
            params.setLogprobs(true).setTopLogprobs(sampling.topLogprobs());
        }
        sampling.seed().ifPresent(params::setSeed);
        var message = ScheduleGenerateRequest.newBuilder()
                .setRequestId(request.requestId())
                .setModel(request.model())
                .setSampling(params);
        applyRoutingHints(message, request.hints());
        switch (request.input()) {
            case GenerationRequest.Prompt prompt -> message.setPrompt(prompt.text());
            case GenerationRequest.TokenPrompt tokens -> message.setPromptTokenIds(PromptTokenIds.newBuilder().addAllIds(tokens.tokenIds()));
            case GenerationRequest.Chat chat -> {
                var messages = ChatMessages.newBuilder();
                chat.messages().forEach(m -> messages.addMessages(ChatMessage.newBuilder().setRole(m.role())
                        .setContent(m.content()).setName(m.name()).setToolCallsJson(m.toolCallsJson()).setToolCallId(m.toolCallId())));
                message.setMessages(messages).setToolsJson(chat.toolsJson());
            }
        }
        return message.build();
    }

    /** The client's routing headers, as the scheduler's request fields (empty and 0 mean "the deployment's default"). */
    static void applyRoutingHints(ScheduleGenerateRequest.Builder message, RoutingHints hints) {
        message.setPriority(hints.priority());
        message.setPolicy(hints.placementPolicy());
        message.setSessionId(hints.sessionId());
    }

    static GeneratedChunk toDomain(ScheduleGenerateChunk chunk) {
        Optional<GeneratedChunk.Finish> finish = switch (chunk.getFinishReason()) {
            case FINISH_REASON_STOP -> finish(FinishReason.STOP, chunk);
            case FINISH_REASON_LENGTH -> finish(FinishReason.LENGTH, chunk);
            case FINISH_REASON_CANCELLED -> finish(FinishReason.CANCELLED, chunk);
            case FINISH_REASON_UNSPECIFIED, UNRECOGNIZED -> Optional.empty();
        };
        if (chunk.getLogprobsCount() == 0) {
            return new GeneratedChunk(chunk.getText(), chunk.getTokenCount(), finish);
        }
        var logprobs = chunk.getLogprobsList().stream().map(l -> new TokenLogprob(l.getToken().toByteArray(), l.getLogprob(),
                l.getTopLogprobsList().stream().map(t -> new TokenLogprob.Alternative(t.getToken().toByteArray(), t.getLogprob())).toList()))
                .toList();
        return new GeneratedChunk(chunk.getText(), chunk.getTokenCount(), finish, logprobs);
    }

    private static Optional<GeneratedChunk.Finish> finish(FinishReason reason, ScheduleGenerateChunk chunk) {
        Optional<TokenUsage> usage = chunk.hasUsage()
                ? Optional.of(new TokenUsage(chunk.getUsage().getPromptTokens(), chunk.getUsage().getCompletionTokens(),
                        chunk.getUsage().getTotalTokens()))
                : Optional.empty();
        return Optional.of(new GeneratedChunk.Finish(reason, usage));
    }

    /** Relays a gRPC response stream into a Reactor sink, and the sink's cancellation back to the call. */
    private record SinkObserver<Q, R>(Consumer<R> next, Consumer<Throwable> error, Runnable complete,
                                      Consumer<Disposable> onCancel)
            implements ClientResponseObserver<Q, R> {

        @Override
        public void beforeStart(ClientCallStreamObserver<Q> call) {
            onCancel.accept(() -> call.cancel("the HTTP client went away", null));
        }

        @Override
        public void onNext(R value) {
            next.accept(value);
        }

        @Override
        public void onError(Throwable t) {
            error.accept(t);
        }

        @Override
        public void onCompleted() {
            complete.run();
        }
    }
}

package dev.llmplatform.worker.core.api;

import dev.llmplatform.commons.grpc.GrpcStatuses;
import dev.llmplatform.commons.grpc.PeriodicStream;
import dev.llmplatform.proto.v1.EvaluateArtifactRequest;
import dev.llmplatform.proto.v1.EvaluateArtifactResponse;
import dev.llmplatform.proto.v1.FinishReason;
import dev.llmplatform.proto.v1.GetLoadRequest;
import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.LoadModelRequest;
import dev.llmplatform.proto.v1.LoadModelResponse;
import dev.llmplatform.proto.v1.LoadReport;
import dev.llmplatform.proto.v1.QuantizeArtifactChunk;
import dev.llmplatform.proto.v1.QuantizeArtifactRequest;
import dev.llmplatform.proto.v1.UnloadModelRequest;
import dev.llmplatform.proto.v1.UnloadModelResponse;
import dev.llmplatform.proto.v1.Usage;
import dev.llmplatform.proto.v1.WatchLoadRequest;
import dev.llmplatform.proto.v1.WorkerEmbedRequest;
import dev.llmplatform.proto.v1.WorkerEmbedResponse;
import dev.llmplatform.proto.v1.WorkerGenerateChunk;
import dev.llmplatform.proto.v1.WorkerGenerateRequest;
import dev.llmplatform.worker.core.config.WorkerProperties;
import dev.llmplatform.worker.core.domain.GenerationEngine;
import dev.llmplatform.worker.core.domain.GenerationOutcome;
import dev.llmplatform.worker.core.domain.GenerationRequest;
import dev.llmplatform.worker.core.domain.Logprobs;
import dev.llmplatform.worker.core.domain.TokenLogprob;
import dev.llmplatform.worker.core.domain.LoadOutcome;
import dev.llmplatform.worker.core.domain.LoadedModels;
import dev.llmplatform.worker.core.infra.ModelLoader;
import dev.llmplatform.worker.core.infra.WorkerMetrics;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker gRPC contract (worker.proto, service InferenceWorker), the same on every device. It never pretends:
 * while the device cannot compute, it reports itself not ready with the reason, so the scheduler sends it nothing,
 * and refuses work with UNAVAILABLE.
 */
public class InferenceWorkerService extends InferenceWorkerGrpc.InferenceWorkerImplBase {

    private static final Logger log = LoggerFactory.getLogger(InferenceWorkerService.class);

    private final WorkerProperties properties;
    private final LoadedModels models;
    private final ModelLoader loader;
    private final WorkerLoad load;
    private final WorkerMetrics metrics;
    private final List<Embeddings> embeddings;
    private final WorkerDrain drain;
    private final Optional<ArtifactTools> artifactTools;
    /** Every Generate stream of this worker: their chunks leave together where they can. */
    private final StreamCohort cohort = new StreamCohort();

    public InferenceWorkerService(WorkerProperties properties, LoadedModels models, ModelLoader loader, WorkerLoad load,
                                  WorkerMetrics metrics, List<Embeddings> embeddings, WorkerDrain drain) {
        this(properties, models, loader, load, metrics, embeddings, drain, Optional.empty());
    }

    /** @param artifactTools the quantizer and the variant measurements; without them those calls are UNIMPLEMENTED */
    public InferenceWorkerService(WorkerProperties properties, LoadedModels models, ModelLoader loader, WorkerLoad load,
                                  WorkerMetrics metrics, List<Embeddings> embeddings, WorkerDrain drain,
                                  Optional<ArtifactTools> artifactTools) {
        this.properties = properties;
        this.models = models;
        this.loader = loader;
        this.load = load;
        this.metrics = metrics;
        this.embeddings = List.copyOf(embeddings);
        this.drain = drain;
        this.artifactTools = artifactTools;
    }

    @Override
    public void generate(WorkerGenerateRequest request, StreamObserver<WorkerGenerateChunk> responses) {
        var call = (ServerCallStreamObserver<WorkerGenerateChunk>) responses;
        if (cannotCompute()) {
            call.onError(unavailable());
            return;
        }
        if (drain.draining()) {
            call.onError(Status.UNAVAILABLE.withDescription("worker " + properties.workerId() + " is draining").asRuntimeException());
            return;
        }
        var entry = models.get(request.getModel());
        if (entry.isEmpty()) {
            call.onError(GrpcStatuses.notFound("model '" + request.getModel() + "' is not loaded on worker " + properties.workerId()));
            return;
        }
        GenerationEngine engine = entry.get().engine();
        int promptTokens = request.getPromptTokenIdsCount();
        if (promptTokens == 0) {
            call.onError(GrpcStatuses.invalidArgument("prompt_token_ids must not be empty"));
            return;
        }
        int room = engine.contextPerSequence() - promptTokens;
        int maxTokens = request.getSampling().getMaxTokens();
        if (maxTokens < 0 || room <= 0 || maxTokens > room) {
            call.onError(GrpcStatuses.invalidArgument("the prompt has " + promptTokens + " tokens and asks for up to "
                    + maxTokens + " more, but the context holds " + engine.contextPerSequence()));
            return;
        }
        int resumed = request.getResumeTokenIdsCount();
        if (resumed > (maxTokens == 0 ? room : maxTokens)) {
            call.onError(GrpcStatuses.invalidArgument("resume_token_ids holds " + resumed + " tokens, more than the "
                    + (maxTokens == 0 ? room : maxTokens) + " the request may generate"));
            return;
        }
        var sampling = request.getSampling();
        if (sampling.getTopLogprobs() < 0 || sampling.getTopLogprobs() > Logprobs.MAX_TOP) {
            call.onError(GrpcStatuses.invalidArgument("top_logprobs must be within 0.." + Logprobs.MAX_TOP));
            return;
        }
        if (!(sampling.getMinP() >= 0f && sampling.getMinP() <= 1f)) {
            call.onError(GrpcStatuses.invalidArgument("min_p must be within 0..1"));
            return;
        }
        // 0 is proto3's unset (no penalty); llama.cpp divides positive logits by it, so it must be a finite positive number
        if (!(sampling.getRepetitionPenalty() >= 0f && Float.isFinite(sampling.getRepetitionPenalty()))) {
            call.onError(GrpcStatuses.invalidArgument("repetition_penalty must be a finite number above 0 (0: not set)"));
            return;
        }
        if (!load.tryAdmit(engine)) {
            call.onError(GrpcStatuses.resourceExhausted("worker " + properties.workerId() + " is saturated"));
            return;
        }
        var cancelled = new AtomicBoolean();
        call.setOnCancelHandler(() -> cancelled.set(true));
        // a drain that runs out of time ends the stream; the scheduler resumes it elsewhere from the tokens it got
        var drained = new AtomicBoolean();
        Runnable abort = () -> drained.set(true);
        drain.track(abort);
        var chunks = new ChunkStream(call, new StreamInterval(properties.streamInterval(), properties.busyStreamInterval(),
                properties.streamTokens(), properties.streamHold(),
                () -> engine.load().waiting() > 0), cohort);
        GenerationRequest generation = toGeneration(request, maxTokens == 0 ? room : maxTokens);
        CompletableFuture<GenerationOutcome> outcome;
        try {
            outcome = engine.submit(generation, new GenerationEngine.TextSink() {
                @Override
                public void accept(String text, int token) {
                    accept(text, token, null);
                }

                @Override
                public void accept(String text, int token, TokenLogprob logprob) {
                    load.generated(1);
                    chunks.send(text, token, logprob);
                }
            }, () -> cancelled.get() || drained.get());
        } catch (IllegalArgumentException e) {
            // the request's own fault (a grammar that does not parse, a biased token outside the vocabulary)
            load.release();
            drain.untrack(abort);
            call.onError(GrpcStatuses.invalidArgument(String.valueOf(e.getMessage())));
            return;
        } catch (RuntimeException e) {
            log.warn("Generation {} could not start", generation.requestId(), e);
            outcome = CompletableFuture.completedFuture(new GenerationOutcome.Failed(0, String.valueOf(e.getMessage())));
        }
        outcome.whenComplete((ended, failure) -> {
            load.release();
            drain.untrack(abort);
            GenerationOutcome result = ended;
            if (failure != null) {
                log.warn("Generation {} failed", generation.requestId(), failure);
                result = new GenerationOutcome.Failed(0, String.valueOf(failure.getMessage()));
            }
            if (drained.get() && !cancelled.get() && result instanceof GenerationOutcome.Cancelled stopped) {
                result = new GenerationOutcome.Failed(stopped.completionTokens(), "worker " + properties.workerId()
                        + " is stopping after " + stopped.completionTokens() + " tokens; the scheduler resumes the rest elsewhere");
            }
            metrics.generationEnded(engine.modelId(), result);
            finish(call, chunks, promptTokens, result);
        });
    }

    private static void finish(ServerCallStreamObserver<WorkerGenerateChunk> call, ChunkStream chunks, int promptTokens,
                               GenerationOutcome outcome) {
        if (call.isCancelled()) {
            return;
        }
        switch (outcome) {
            case GenerationOutcome.Cancelled cancelled -> { }
            case GenerationOutcome.Failed failed -> chunks.fail(failure(failed));
            case GenerationOutcome.Stopped stopped -> chunks.finish(last(FinishReason.FINISH_REASON_STOP, promptTokens, outcome.completionTokens()));
            case GenerationOutcome.LengthReached length -> chunks.finish(last(FinishReason.FINISH_REASON_LENGTH, promptTokens, outcome.completionTokens()));
        }
    }

    /**
     * An engine failure (a failed decode step, the engine closing under the request) is UNAVAILABLE on every device:
     * the fault is this worker's, not the request's, so the scheduler may place the request on another worker while
     * no token has been sent.
     */
    static StatusRuntimeException failure(GenerationOutcome.Failed failed) {
        return Status.UNAVAILABLE.withDescription("generation failed: " + failed.reason()).asRuntimeException();
    }

    private static WorkerGenerateChunk last(FinishReason reason, int prompt, int completion) {
        return WorkerGenerateChunk.newBuilder().setFinishReason(reason)
                .setUsage(Usage.newBuilder().setPromptTokens(prompt).setCompletionTokens(completion).setTotalTokens(prompt + completion))
                .build();
    }

    private static GenerationRequest toGeneration(WorkerGenerateRequest request, int maxTokens) {
        var s = request.getSampling();
        return new GenerationRequest(request.getRequestId(),
                request.getPromptTokenIdsList().stream().mapToInt(Integer::intValue).toArray(),
                maxTokens, s.getTemperature(), s.getTopP(), s.getTopK(),
                s.hasSeed() ? OptionalLong.of(s.getSeed()) : OptionalLong.empty(),
                s.getStopList(), s.getFrequencyPenalty(), s.getPresencePenalty(),
                // proto3's unset 0 is no penalty, which llama.cpp spells 1
                s.getRepetitionPenalty() == 0f ? GenerationRequest.NO_REPETITION_PENALTY : s.getRepetitionPenalty(),
                request.getResumeTokenIdsList().stream().mapToInt(Integer::intValue).toArray(),
                new GenerationRequest.Constraints(s.getMinP(), s.getLogitBiasMap(), s.getGrammar(), s.getIgnoreEos()),
                s.getLogprobs() ? s.getTopLogprobs() : GenerationRequest.NO_LOGPROBS);
    }

    @Override
    public void embed(WorkerEmbedRequest request, StreamObserver<WorkerEmbedResponse> responses) {
        if (embeddings.isEmpty()) {
            responses.onError(Status.UNIMPLEMENTED
                    .withDescription("worker " + properties.workerId() + " serves no embedding model").asRuntimeException());
            return;
        }
        embeddings.getFirst().embed(request, responses);
    }

    @Override
    public void loadModel(LoadModelRequest request, StreamObserver<LoadModelResponse> responses) {
        if (cannotCompute()) {
            responses.onError(unavailable());
            return;
        }
        if (request.getModel().isBlank()) {
            responses.onError(GrpcStatuses.invalidArgument("model is required"));
            return;
        }
        switch (loader.loadRegistered(request.getModel(), request.getArtifactUri(), request.getSha256(), request.getContextLength())) {
            case LoadOutcome.Loaded(long millis) -> {
                responses.onNext(LoadModelResponse.newBuilder().setModel(request.getModel()).setLoadMillis(millis).build());
                responses.onCompleted();
            }
            case LoadOutcome.Refused(String detail) -> {
                // the same answer whatever the reason: whether a path exists, is readable or matches is not the caller's to learn
                log.warn("LoadModel of '{}' (artifact_uri '{}') refused: {}", request.getModel(), request.getArtifactUri(), detail);
                responses.onError(GrpcStatuses.notFound("model '" + request.getModel() + "' is not a registered artifact or failed verification"));
            }
        }
    }

    @Override
    public void unloadModel(UnloadModelRequest request, StreamObserver<UnloadModelResponse> responses) {
        if (load.inFlight() > 0) {
            responses.onError(GrpcStatuses.failedPrecondition("worker is generating; drain it before unloading"));
            return;
        }
        models.remove(request.getModel()).ifPresentOrElse(entry -> {
            entry.engine().close();
            responses.onNext(UnloadModelResponse.getDefaultInstance());
            responses.onCompleted();
        }, () -> responses.onError(GrpcStatuses.notFound("model '" + request.getModel() + "' is not loaded on " + properties.workerId())));
    }

    @Override
    public void getLoad(GetLoadRequest request, StreamObserver<LoadReport> responses) {
        responses.onNext(load.report());
        responses.onCompleted();
    }

    @Override
    public void watchLoad(WatchLoadRequest request, StreamObserver<LoadReport> responses) {
        PeriodicStream.start(responses, request.getIntervalMillis(), load::report);
    }

    @Override
    public void quantizeArtifact(QuantizeArtifactRequest request, StreamObserver<QuantizeArtifactChunk> responses) {
        artifactTools.ifPresentOrElse(tools -> tools.quantize(request, responses), () -> responses.onError(noArtifactTools()));
    }

    @Override
    public void evaluateArtifact(EvaluateArtifactRequest request, StreamObserver<EvaluateArtifactResponse> responses) {
        artifactTools.ifPresentOrElse(tools -> tools.evaluate(request, responses), () -> responses.onError(noArtifactTools()));
    }

    private StatusRuntimeException noArtifactTools() {
        return Status.UNIMPLEMENTED.withDescription("worker " + properties.workerId() + " has no quantizer").asRuntimeException();
    }

    /** No usable back end (no GPU, no llama.cpp build): nothing this worker could load would run. */
    private boolean cannotCompute() {
        return !loader.computes();
    }

    private StatusRuntimeException unavailable() {
        return Status.UNAVAILABLE.withDescription("worker " + properties.workerId() + " is not ready: " + loader.notReadyReason())
                .asRuntimeException();
    }
}

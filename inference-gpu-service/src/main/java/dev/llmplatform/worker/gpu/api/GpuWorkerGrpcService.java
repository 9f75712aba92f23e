package dev.llmplatform.worker.gpu.api;

import dev.llmplatform.commons.grpc.GrpcStatuses;
import dev.llmplatform.commons.grpc.PeriodicStream;
import dev.llmplatform.proto.v1.Accelerator;
import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.FinishReason;
import dev.llmplatform.proto.v1.GetLoadRequest;
import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.LoadModelRequest;
import dev.llmplatform.proto.v1.LoadModelResponse;
import dev.llmplatform.proto.v1.LoadReport;
import dev.llmplatform.proto.v1.LoadedModel;
import dev.llmplatform.proto.v1.UnloadModelRequest;
import dev.llmplatform.proto.v1.UnloadModelResponse;
import dev.llmplatform.proto.v1.Usage;
import dev.llmplatform.proto.v1.WatchLoadRequest;
import dev.llmplatform.proto.v1.WorkerEmbedRequest;
import dev.llmplatform.proto.v1.WorkerEmbedResponse;
import dev.llmplatform.proto.v1.WorkerGenerateChunk;
import dev.llmplatform.proto.v1.WorkerGenerateRequest;
import dev.llmplatform.worker.gpu.config.GpuWorkerProperties;
import dev.llmplatform.worker.gpu.domain.GenerationEngine;
import dev.llmplatform.worker.gpu.domain.GenerationOutcome;
import dev.llmplatform.worker.gpu.domain.GenerationRequest;
import dev.llmplatform.worker.gpu.domain.LoadOutcome;
import dev.llmplatform.worker.gpu.domain.LoadedModels;
import dev.llmplatform.worker.gpu.infra.ComputeBackend;
import dev.llmplatform.worker.gpu.infra.GpuProbe;
import dev.llmplatform.worker.gpu.infra.GpuReadiness;
import dev.llmplatform.worker.gpu.infra.GpuTelemetry;
import dev.llmplatform.worker.gpu.infra.ModelLoader;
import dev.llmplatform.worker.gpu.infra.WorkerMetrics;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * The worker contract of the CPU worker, served from llama.cpp's CUDA back end, so the scheduler can mix both kinds.
 * It never pretends: without a usable GPU (and without the explicit CPU fallback) it reports itself not ready with
 * the reason, so the scheduler sends it nothing, and refuses work with UNAVAILABLE.
 */
@Service
public class GpuWorkerGrpcService extends InferenceWorkerGrpc.InferenceWorkerImplBase {

    private static final Logger log = LoggerFactory.getLogger(GpuWorkerGrpcService.class);
    private static final long MIB = 1024L * 1024L;

    private final GpuWorkerProperties properties;
    private final GpuReadiness readiness;
    private final ComputeBackend backend;
    private final LoadedModels models;
    private final ModelLoader loader;
    private final GpuTelemetry telemetry;
    private final WorkerMetrics metrics;
    private final AtomicInteger inFlight = new AtomicInteger();

    public GpuWorkerGrpcService(GpuWorkerProperties properties, GpuReadiness readiness, ComputeBackend backend,
                                LoadedModels models, ModelLoader loader, GpuTelemetry telemetry, WorkerMetrics metrics) {
        this.properties = properties;
        this.readiness = readiness;
        this.backend = backend;
        this.models = models;
        this.loader = loader;
        this.telemetry = telemetry;
        this.metrics = metrics;
    }

    @Override
    public void generate(WorkerGenerateRequest request, StreamObserver<WorkerGenerateChunk> responses) {
        var call = (ServerCallStreamObserver<WorkerGenerateChunk>) responses;
        if (cannotCompute()) {
            call.onError(unavailable());
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
        if (!tryAdmit(engine.slots() + properties.maxWaiting())) {
            call.onError(GrpcStatuses.resourceExhausted("worker " + properties.workerId() + " is saturated"));
            return;
        }
        var cancelled = new AtomicBoolean();
        call.setOnCancelHandler(() -> cancelled.set(true));
        GenerationRequest generation = toGeneration(request, maxTokens == 0 ? room : maxTokens);
        engine.submit(generation, (text, tokens) -> call.onNext(
                        WorkerGenerateChunk.newBuilder().setText(text).setTokenCount(tokens).build()), cancelled::get)
                .whenComplete((outcome, failure) -> {
                    inFlight.decrementAndGet();
                    if (failure != null) {
                        outcome = new GenerationOutcome.Failed(0, failure.toString());
                    }
                    metrics.generationEnded(engine.modelId(), outcome);
                    finish(call, promptTokens, outcome);
                });
    }

    private static void finish(ServerCallStreamObserver<WorkerGenerateChunk> call, int promptTokens, GenerationOutcome outcome) {
        if (call.isCancelled()) {
            return;
        }
        switch (outcome) {
            case GenerationOutcome.Cancelled cancelled -> { }
            case GenerationOutcome.Failed failed -> call.onError(Status.UNAVAILABLE.withDescription(failed.reason()).asRuntimeException());
            case GenerationOutcome.Stopped stopped -> last(call, FinishReason.FINISH_REASON_STOP, promptTokens, outcome.completionTokens());
            case GenerationOutcome.LengthReached length -> last(call, FinishReason.FINISH_REASON_LENGTH, promptTokens, outcome.completionTokens());
        }
    }

    private static void last(ServerCallStreamObserver<WorkerGenerateChunk> call, FinishReason reason, int prompt, int completion) {
        call.onNext(WorkerGenerateChunk.newBuilder().setFinishReason(reason)
                .setUsage(Usage.newBuilder().setPromptTokens(prompt).setCompletionTokens(completion).setTotalTokens(prompt + completion))
                .build());
        call.onCompleted();
    }

    private boolean tryAdmit(int limit) {
        while (true) {
            int current = inFlight.get();
            if (current >= limit) {
                return false;
            }
            if (inFlight.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    private static GenerationRequest toGeneration(WorkerGenerateRequest request, int maxTokens) {
        var s = request.getSampling();
        return new GenerationRequest(request.getRequestId(),
                request.getPromptTokenIdsList().stream().mapToInt(Integer::intValue).toArray(),
                maxTokens, s.getTemperature(), s.getTopP(), s.getTopK(),
                s.hasSeed() ? OptionalLong.of(s.getSeed()) : OptionalLong.empty(),
                s.getStopList(), s.getFrequencyPenalty(), s.getPresencePenalty());
    }

    @Override
    public void embed(WorkerEmbedRequest request, StreamObserver<WorkerEmbedResponse> responses) {
        responses.onError(Status.UNIMPLEMENTED
                .withDescription("worker " + properties.workerId() + " serves no embedding model").asRuntimeException());
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

    /** No GPU (and no CPU fallback allowed), or no llama.cpp: nothing this worker could load would run. */
    private boolean cannotCompute() {
        return backend.choice() instanceof ComputeBackend.Choice.Unusable;
    }

    @Override
    public void unloadModel(UnloadModelRequest request, StreamObserver<UnloadModelResponse> responses) {
        if (inFlight.get() > 0) {
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
        responses.onNext(report());
        responses.onCompleted();
    }

    @Override
    public void watchLoad(WatchLoadRequest request, StreamObserver<LoadReport> responses) {
        PeriodicStream.start(responses, request.getIntervalMillis(), this::report);
    }

    LoadReport report() {
        int running = 0;
        int waiting = 0;
        int slots = 0;
        double decode = 0;
        double prefill = 0;
        var report = LoadReport.newBuilder()
                .setWorkerId(properties.workerId())
                .setDeviceClass(DeviceClass.DEVICE_CLASS_GPU)
                .setReady(readiness.ready())
                .setNotReadyReason(readiness.reason());
        for (LoadedModels.Entry entry : models.all()) {
            GenerationEngine engine = entry.engine();
            var load = engine.load();
            running += load.running();
            waiting += load.waiting();
            slots += engine.slots();
            decode += load.decodeTokensPerSecond();
            prefill += load.prefillTokensPerSecond();
            report.addModels(LoadedModel.newBuilder()
                    .setId(engine.modelId())
                    .setContextLength(engine.contextPerSequence())
                    .setVariantId(entry.variantId())
                    .setOwnedBy(entry.ownedBy())
                    .setCreatedEpochSeconds(entry.createdEpochSeconds()));
        }
        long memoryUsed = 0;
        for (GpuProbe.Gpu gpu : telemetry.gpus()) {
            memoryUsed += gpu.memoryUsedMib() * MIB;
            report.addAccelerators(Accelerator.newBuilder()
                    .setIndex(gpu.index())
                    .setName(gpu.name())
                    .setMemoryTotalBytes(gpu.memoryTotalMib() * MIB)
                    .setMemoryUsedBytes(gpu.memoryUsedMib() * MIB)
                    .setUtilizationPercent(gpu.utilisationPercent())
                    .setPowerWatts(gpu.powerWatts()));
        }
        return report.setRunning(running).setWaiting(waiting).setSlots(slots)
                .setDecodeTokensPerSecond(decode).setPrefillTokensPerSecond(prefill)
                .setMemoryUsedBytes(memoryUsed)
                .build();
    }

    private io.grpc.StatusRuntimeException unavailable() {
        return Status.UNAVAILABLE.withDescription("worker " + properties.workerId() + " is not ready: " + readiness.reason())
                .asRuntimeException();
    }
}

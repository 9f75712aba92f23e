package dev.llmplatform.worker.cpu.api;

import dev.llmplatform.commons.grpc.GrpcStatuses;
import dev.llmplatform.commons.grpc.PeriodicStream;
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
import dev.llmplatform.worker.cpu.config.WorkerProperties;
import dev.llmplatform.worker.cpu.domain.GenerationEngine;
import dev.llmplatform.worker.cpu.domain.GenerationOutcome;
import dev.llmplatform.worker.cpu.domain.GenerationRequest;
import dev.llmplatform.worker.cpu.domain.LoadOutcome;
import dev.llmplatform.worker.cpu.domain.LoadTracker;
import dev.llmplatform.worker.cpu.domain.LoadedModels;
import dev.llmplatform.worker.cpu.infra.ModelLoader;
import io.grpc.Status;
import dev.llmplatform.worker.cpu.infra.ModelMemory;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

@Service
public class InferenceWorkerGrpcService extends InferenceWorkerGrpc.InferenceWorkerImplBase {

    private static final Logger log = LoggerFactory.getLogger(InferenceWorkerGrpcService.class);

    private final LoadedModels models;
    private final LoadTracker load;
    private final ModelLoader loader;
    private final WorkerProperties properties;
    private final ExecutorService generationExecutor;
    private final MeterRegistry meters;
    private final WorkerEmbeddings embeddings;
    private final DistributionSummary batchSize;
    private final Set<String> gaugedModels = ConcurrentHashMap.newKeySet();
    private final ModelMemory modelMemory = new ModelMemory();

    public InferenceWorkerGrpcService(LoadedModels models, LoadTracker load, ModelLoader loader,
                                      WorkerProperties properties, ExecutorService generationExecutor, MeterRegistry meters,
                                      WorkerEmbeddings embeddings) {
        this.embeddings = embeddings;
        this.models = models;
        this.load = load;
        this.loader = loader;
        this.properties = properties;
        this.generationExecutor = generationExecutor;
        this.meters = meters;
        this.batchSize = DistributionSummary.builder("worker.batch.size")
                .description("sequences in the running batch when a sequence joins it").register(meters);
    }

    /**
     * The load gauges, tagged with each model the worker serves. The figures are the worker's (one llama.cpp
     * context per model, and in practice one model per worker), registered once per model id.
     */
    private void registerLoadGauges(String model) {
        if (!gaugedModels.add(model)) {
            return;
        }
        Gauge.builder("worker.sequences.running", load, LoadTracker::running).tag("model", model).register(meters);
        Gauge.builder("worker.sequences.waiting", load, LoadTracker::waiting).tag("model", model).register(meters);
        Gauge.builder("worker.decode.tokens.per.second", load, LoadTracker::decodeTokensPerSecond).tag("model", model).register(meters);
        Gauge.builder("worker.prefill.tokens.per.second", load, LoadTracker::prefillTokensPerSecond).tag("model", model).register(meters);
        Gauge.builder("worker.kv.cache.usage", this, s -> s.kvCacheUsage()).tag("model", model).register(meters);
    }

    /** Counts how generations end; "cancelled" shows that callers who leave stop the work. */
    private void count(String model, String outcome, int tokens) {
        meters.counter("worker.generations", "model", model, "outcome", outcome).increment();
        meters.counter("worker.generated.tokens", "model", model).increment(tokens);
    }

    @Override
    public void generate(WorkerGenerateRequest request, StreamObserver<WorkerGenerateChunk> responses) {
        var call = (ServerCallStreamObserver<WorkerGenerateChunk>) responses;
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
        if (!load.tryAdmit(load.slots() + properties.maxWaiting())) {
            call.onError(GrpcStatuses.resourceExhausted("worker " + properties.workerId() + " is saturated"));
            return;
        }
        var cancelled = new AtomicBoolean();
        call.setOnCancelHandler(() -> cancelled.set(true));
        GenerationRequest generation = toGeneration(request, maxTokens == 0 ? room : maxTokens);
        generationExecutor.execute(() -> run(engine, generation, call, cancelled));
    }

    private void run(GenerationEngine engine, GenerationRequest request, ServerCallStreamObserver<WorkerGenerateChunk> call,
                     AtomicBoolean cancelled) {
        long started = System.nanoTime();
        long[] firstToken = {0};
        int[] generated = {0};
        registerLoadGauges(engine.modelId());
        batchSize.record(load.running());
        load.sequenceStarted(request.promptTokenIds().length);
        try {
            GenerationOutcome outcome = engine.generate(request, (text, tokens) -> {
                if (firstToken[0] == 0) {
                    firstToken[0] = System.nanoTime();
                }
                for (int i = 0; i < tokens; i++) {
                    load.tokenGenerated();
                }
                generated[0] += tokens;
                call.onNext(WorkerGenerateChunk.newBuilder().setText(text).setTokenCount(tokens).build());
            }, cancelled::get);
            long finished = System.nanoTime();
            if (firstToken[0] != 0) {
                load.recordPrefill(request.promptTokenIds().length, firstToken[0] - started);
                load.recordDecode(outcome.completionTokens() - 1, finished - firstToken[0]);
            }
            count(engine.modelId(), switch (outcome) {
                case GenerationOutcome.Stopped stopped -> "stop";
                case GenerationOutcome.LengthReached length -> "length";
                case GenerationOutcome.Cancelled cancelledEarly -> "cancelled";
            }, outcome.completionTokens());
            if (outcome instanceof GenerationOutcome.Cancelled) {
                log.debug("Generation {} cancelled after {} tokens", request.requestId(), outcome.completionTokens());
                return;
            }
            int prompt = request.promptTokenIds().length;
            call.onNext(WorkerGenerateChunk.newBuilder()
                    .setFinishReason(outcome instanceof GenerationOutcome.LengthReached ? FinishReason.FINISH_REASON_LENGTH : FinishReason.FINISH_REASON_STOP)
                    .setUsage(Usage.newBuilder().setPromptTokens(prompt).setCompletionTokens(outcome.completionTokens())
                            .setTotalTokens(prompt + outcome.completionTokens()))
                    .build());
            call.onCompleted();
        } catch (RuntimeException e) {
            log.warn("Generation {} failed", request.requestId(), e);
            count(engine.modelId(), "failed", 0);
            if (!cancelled.get()) {
                call.onError(Status.INTERNAL.withDescription("generation failed: " + e.getMessage()).asRuntimeException());
            }
        } finally {
            load.sequenceEnded(request.promptTokenIds().length + generated[0]);
            load.release();
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
        embeddings.embed(request, responses);
    }

    @Override
    public void loadModel(LoadModelRequest request, StreamObserver<LoadModelResponse> responses) {
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
                responses.onError(notRegistered(request.getModel()));
            }
        }
    }

    static io.grpc.StatusRuntimeException notRegistered(String model) {
        return GrpcStatuses.notFound("model '" + model + "' is not a registered artifact or failed verification");
    }

    @Override
    public void unloadModel(UnloadModelRequest request, StreamObserver<UnloadModelResponse> responses) {
        if (load.running() + load.waiting() > 0) {
            responses.onError(GrpcStatuses.failedPrecondition("worker is generating; drain it before unloading"));
            return;
        }
        models.remove(request.getModel()).ifPresentOrElse(entry -> {
            entry.engine().close();
            responses.onNext(UnloadModelResponse.getDefaultInstance());
            responses.onCompleted();
        }, () -> responses.onError(GrpcStatuses.notFound("model '" + request.getModel() + "' is not loaded")));
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

    /** KV cache tokens allocated over all loaded models: slots × context per slot each. */
    private long kvCacheCapacityTokens() {
        return models.all().stream().mapToLong(e -> (long) load.slots() * e.engine().contextPerSequence()).sum();
    }

    double kvCacheUsage() {
        long capacity = kvCacheCapacityTokens();
        return capacity == 0 ? 0 : Math.min(1.0, (double) load.kvCacheTokens() / capacity);
    }

    LoadReport report() {
        long kvCapacity = kvCacheCapacityTokens();
        var report = LoadReport.newBuilder()
                .setWorkerId(properties.workerId())
                .setDeviceClass(DeviceClass.DEVICE_CLASS_CPU)
                .setRunning(load.running())
                .setWaiting(load.waiting())
                .setSlots(load.slots())
                .setDecodeTokensPerSecond(load.decodeTokensPerSecond())
                .setPrefillTokensPerSecond(load.prefillTokensPerSecond())
                .setMemoryUsedBytes(modelMemory.bytes(models.isEmpty() ? 0 : kvCapacity / models.all().size()))
                .setKvCacheTokens(load.kvCacheTokens())
                .setKvCacheCapacityTokens(kvCapacity)
                .setKvCacheUsage(kvCacheUsage())
                .setGeneratedTokensTotal(load.generatedTokens())
                .setMaxWaiting(properties.maxWaiting())
                .setReady(!models.isEmpty())
                .setNotReadyReason(loader.notReadyReason());
        for (LoadedModels.Entry entry : models.all()) {
            registerLoadGauges(entry.engine().modelId());
            report.addModels(LoadedModel.newBuilder()
                    .setId(entry.engine().modelId())
                    .setContextLength(entry.engine().contextPerSequence())
                    .setVariantId(entry.variantId())
                    .setOwnedBy(entry.ownedBy())
                    .setCreatedEpochSeconds(entry.createdEpochSeconds()));
        }
        report.addAllModels(embeddings.loadedModels());
        return report.build();
    }
}

package dev.llmplatform.worker.cpu.api;

import dev.llmplatform.commons.grpc.GrpcStatuses;
import dev.llmplatform.proto.v1.Embedding;
import dev.llmplatform.proto.v1.LoadedModel;
import dev.llmplatform.proto.v1.WorkerEmbedRequest;
import dev.llmplatform.proto.v1.WorkerEmbedResponse;
import dev.llmplatform.worker.cpu.config.EmbeddingProperties;
import dev.llmplatform.worker.core.api.Embeddings;
import dev.llmplatform.worker.core.config.WorkerProperties;
import dev.llmplatform.worker.cpu.domain.EmbeddingEngine;
import dev.llmplatform.worker.cpu.domain.EmbeddingOutcome;
import dev.llmplatform.worker.cpu.domain.LoadedEmbeddingModels;
import dev.llmplatform.worker.core.domain.LoadedModels;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * The worker's Embed RPC: checks the request, embeds it on a bounded pool (a full queue is RESOURCE_EXHAUSTED, so
 * the scheduler can go elsewhere) and reports the loaded embedding models for the load report.
 */
@Component
public class WorkerEmbeddings implements Embeddings, DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(WorkerEmbeddings.class);

    private final LoadedEmbeddingModels models;
    private final LoadedModels generationModels;
    private final EmbeddingProperties properties;
    private final String workerId;
    private final MeterRegistry meters;
    private final ThreadPoolExecutor executor;

    public WorkerEmbeddings(LoadedEmbeddingModels models, LoadedModels generationModels, EmbeddingProperties properties,
                            WorkerProperties worker, MeterRegistry meters) {
        this.models = models;
        this.generationModels = generationModels;
        this.properties = properties;
        this.workerId = worker.workerId();
        this.meters = meters;
        int threads = Math.max(1, properties.concurrentRequests());
        this.executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(Math.max(1, properties.maxWaiting())),
                Thread.ofPlatform().name("embed-", 0).daemon(true).factory());
    }

    @Override
    public void embed(WorkerEmbedRequest request, StreamObserver<WorkerEmbedResponse> responses) {
        var call = (ServerCallStreamObserver<WorkerEmbedResponse>) responses;
        String model = request.getModel();
        List<String> inputs = request.getInputsList();
        if (model.isBlank()) {
            call.onError(GrpcStatuses.invalidArgument("model is required"));
            return;
        }
        if (inputs.isEmpty()) {
            call.onError(GrpcStatuses.invalidArgument("input must not be empty"));
            return;
        }
        if (inputs.size() > properties.maxInputs()) {
            call.onError(GrpcStatuses.invalidArgument("input has " + inputs.size() + " items, more than the maximum of "
                    + properties.maxInputs() + " per request"));
            return;
        }
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i).isEmpty()) {
                call.onError(GrpcStatuses.invalidArgument("input[" + i + "] is an empty string; every input must have text"));
                return;
            }
        }
        var entry = models.get(model);
        if (entry.isEmpty()) {
            call.onError(generationModels.get(model).isPresent()
                    ? GrpcStatuses.invalidArgument("The model '" + model + "' generates text and does not serve embeddings.")
                    : GrpcStatuses.notFound("embedding model '" + model + "' is not loaded on worker " + workerId));
            return;
        }
        try {
            executor.execute(() -> run(entry.get().engine(), inputs, call));
        } catch (RejectedExecutionException e) {
            call.onError(GrpcStatuses.resourceExhausted("worker " + workerId + " has " + properties.maxWaiting()
                    + " embedding requests waiting already"));
        }
    }

    private void run(EmbeddingEngine engine, List<String> inputs, ServerCallStreamObserver<WorkerEmbedResponse> call) {
        if (call.isCancelled()) {
            return; // the caller left while this waited in the queue
        }
        try {
            switch (engine.embed(inputs)) {
                case EmbeddingOutcome.Embedded embedded -> {
                    var response = WorkerEmbedResponse.newBuilder().setPromptTokens(embedded.promptTokens());
                    for (float[] vector : embedded.vectors()) {
                        var values = Embedding.newBuilder();
                        for (float v : vector) {
                            values.addValues(v);
                        }
                        response.addEmbeddings(values);
                    }
                    meters.counter("worker.embeddings", "model", engine.modelId()).increment(inputs.size());
                    call.onNext(response.build());
                    call.onCompleted();
                }
                // OpenAI's wording for an over-long input, with the input's index since a request may carry many
                case EmbeddingOutcome.InputTooLong tooLong -> call.onError(GrpcStatuses.invalidArgument(
                        "This model's maximum context length is " + tooLong.limit() + " tokens, however you requested "
                                + tooLong.tokens() + " tokens (" + tooLong.tokens() + " in input[" + tooLong.index()
                                + "], counting the model's special tokens). Please reduce the length of the input."));
            }
        } catch (RuntimeException e) {
            log.warn("Embedding with model {} failed", engine.modelId(), e);
            if (!call.isCancelled()) {
                call.onError(Status.INTERNAL.withDescription("embedding failed: " + e.getMessage()).asRuntimeException());
            }
        }
    }

    /** The loaded embedding models, as the load report lists them (context length = longest input in tokens). */
    @Override
    public List<LoadedModel> loadedModels() {
        return models.all().stream().map(e -> LoadedModel.newBuilder()
                .setId(e.engine().modelId())
                .setContextLength(e.engine().maxInputTokens())
                .setVariantId(e.variantId())
                .setOwnedBy(e.ownedBy())
                .setCreatedEpochSeconds(e.createdEpochSeconds())
                .build()).toList();
    }

    @Override
    public void destroy() {
        executor.shutdownNow();
    }
}

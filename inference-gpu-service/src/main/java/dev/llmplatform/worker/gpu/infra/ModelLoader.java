package dev.llmplatform.worker.gpu.infra;

import dev.llmplatform.commons.files.Sha256;
import dev.llmplatform.commons.registry.RegistryModels;
import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.Model;
import dev.llmplatform.proto.v1.ModelArtifact;
import dev.llmplatform.worker.gpu.config.GpuWorkerProperties;
import dev.llmplatform.worker.gpu.domain.LoadedModels;
import dev.llmplatform.worker.gpu.engine.ContinuousBatchingEngine;
import dev.llmplatform.worker.gpu.llama.LlamaContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import dev.llmplatform.proto.v1.GetModelRequest;
import dev.llmplatform.proto.v1.ModelRegistryGrpc;
import dev.llmplatform.worker.gpu.domain.LoadOutcome;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.grpc.client.GrpcChannelFactory;
import org.springframework.stereotype.Component;

/**
 * Loads, at start, every model the registry lists with a GGUF artifact for this worker: the GPU variant where there
 * is one, else the CPU GGUF (the same file format; llama.cpp offloads its layers to the GPU). Checks the SHA-256
 * first. Does nothing while the compute back end is unusable: a worker without a GPU loads nothing.
 */
@Component
public class ModelLoader {

    private static final Logger log = LoggerFactory.getLogger(ModelLoader.class);

    private final GpuWorkerProperties properties;
    private final ComputeBackend backend;
    private final LoadedModels models;
    private final WorkerMetrics metrics;
    private final GrpcChannelFactory channels;
    private volatile String notReadyReason = "loading models from the registry";
    private volatile String notReadyCode = "loading";
    private volatile Channel registry;

    public ModelLoader(GpuWorkerProperties properties, ComputeBackend backend, LoadedModels models, WorkerMetrics metrics,
                       GrpcChannelFactory channels) {
        this.properties = properties;
        this.backend = backend;
        this.models = models;
        this.metrics = metrics;
        this.channels = channels;
    }

    /** Why the worker cannot take work now, or empty when it can. */
    public String notReadyReason() {
        if (backend.choice() instanceof ComputeBackend.Choice.Unusable(String code, String reason)) {
            return reason;
        }
        return models.isEmpty() ? notReadyReason : "";
    }

    /** {@link #notReadyReason()} for machines: the back end's code, {@code loading} or {@code load-failed}; empty when ready. */
    public String notReadyCode() {
        if (backend.choice() instanceof ComputeBackend.Choice.Unusable(String code, String reason)) {
            return code;
        }
        return models.isEmpty() ? notReadyCode : "";
    }

    @EventListener(ApplicationReadyEvent.class)
    public void loadInBackground() {
        if (backend.choice() instanceof ComputeBackend.Choice.Usable) {
            Thread.ofVirtual().name("model-loader").start(properties.modelFile() != null ? this::loadModelFile : this::loadFromRegistry);
        }
    }

    private void loadFromRegistry() {
        try {
            var channel = channels.createChannel(properties.registryTarget());
            while (models.isEmpty()) {
                for (Model model : RegistryModels.await(channel, properties.loadRetryInterval(), this::waiting)) {
                    artifactFor(model).ifPresent(artifact -> {
                        try {
                            load(model, artifact);
                        } catch (RuntimeException e) {
                            // the detail (paths, checksums) is for the log; the reason shows on the health page
                            notReadyReason = "cannot load " + model.getId() + " (see the worker's log)";
                            notReadyCode = "load-failed";
                            log.error("Cannot load model {}: {}", model.getId(), e.getMessage());
                        }
                    });
                }
                if (models.isEmpty()) {
                    waiting("the registry lists no model with a loadable GGUF artifact");
                    Thread.sleep(properties.loadRetryInterval());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void loadModelFile() {
        Path file = properties.modelFile().toAbsolutePath();
        String id = file.getFileName().toString().replaceFirst("\\.gguf$", "");
        try {
            load(Model.newBuilder().setId(id).build(),
                    ModelArtifact.newBuilder().setVariantId("gguf").setUri(file.toUri().toString()).build());
        } catch (RuntimeException e) {
            notReadyReason = "cannot load worker.model-file (see the worker's log)";
            notReadyCode = "load-failed";
            log.error("Cannot load {}: {}", file, e.getMessage());
        }
    }

    private static Optional<ModelArtifact> artifactFor(Model model) {
        return RegisteredArtifacts.production(model);
    }

    /**
     * LoadModel: asks the registry for the model and loads the artifact the request names (the production GGUF for
     * this worker, or the GGUF of a registered version whose URI the request gives exactly), after checking the
     * file's SHA-256 against the registry's. Nothing else is loaded, whatever the request names.
     *
     * @param contextLength an upper bound on the registry's context length; 0 for none
     */
    public LoadOutcome loadRegistered(String modelId, String artifactUri, String sha256, int contextLength) {
        Model model;
        try {
            model = ModelRegistryGrpc.newBlockingStub(registry()).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .getModel(GetModelRequest.newBuilder().setModelId(modelId).build());
        } catch (StatusRuntimeException e) {
            return new LoadOutcome.Refused("the registry answered " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
        }
        if ("embedding".equals(model.getTask())) {
            return new LoadOutcome.Refused("'" + modelId + "' is an embedding model");
        }
        Optional<ModelArtifact> artifact = RegisteredArtifacts.resolve(model, artifactUri, sha256);
        if (artifact.isEmpty()) {
            return new LoadOutcome.Refused("no registered GGUF artifact of '" + modelId + "' with a checksum matches uri '"
                    + artifactUri + "' sha256 '" + sha256 + "'");
        }
        int registered = artifact.get().getContextLength() > 0 ? artifact.get().getContextLength() : model.getContextLength();
        Model sized = contextLength > 0 && (registered == 0 || contextLength < registered)
                ? model.toBuilder().setContextLength(contextLength).build()
                : model.toBuilder().setContextLength(registered).build();
        try {
            return new LoadOutcome.Loaded(load(sized, artifact.get()).toMillis());
        } catch (RuntimeException e) {
            return new LoadOutcome.Refused(String.valueOf(e.getMessage()));
        }
    }

    private synchronized Channel registry() {
        if (registry == null) {
            registry = channels.createChannel(properties.registryTarget());
        }
        return registry;
    }

    private void waiting(String reason) {
        notReadyReason = reason;
        log.info("Not ready yet: {}", reason);
    }

    /** Loads one artifact onto the compute back end, after checking its SHA-256 when given; returns how long it took. */
    public synchronized Duration load(Model model, ModelArtifact artifact) {
        if (!(backend.choice() instanceof ComputeBackend.Choice.Usable usable)) {
            throw new IllegalStateException(notReadyReason());
        }
        try {
            Path file = RegistryModels.localFile(artifact);
            verify(file, artifact.getSha256());
            long started = System.nanoTime();
            int context = Math.min(properties.contextPerSlot(), model.getContextLength() > 0 ? model.getContextLength() : Integer.MAX_VALUE);
            var llama = new LlamaContext(usable.library(), file, new LlamaContext.Settings(
                    usable.gpu() ? properties.gpuLayers() : 0, properties.slots(), context, properties.batchTokens(), threads(usable)));
            var engine = new ContinuousBatchingEngine(model.getId(), llama, properties.slots(), properties.batchTokens(),
                    metrics.stepListener());
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            String variant = artifact.getVariantId().isBlank() ? "gguf" : artifact.getVariantId();
            models.put(new LoadedModels.Entry(engine, variant, model.getOwnedBy(), model.getCreatedEpochSeconds()))
                    .ifPresent(old -> old.engine().close());
            metrics.modelLoaded(model.getId(), variant, took);
            log.info("Loaded model {} ({}) from {} on {} in {} ms", model.getId(), variant, file, usable.device(), took.toMillis());
            return took;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + artifact.getUri() + ": " + e.getMessage(), e);
        }
    }

    /** On the CPU fallback every thread computes, and more threads than cores only thrash. */
    private int threads(ComputeBackend.Choice.Usable usable) {
        if (properties.threads() > 0 || usable.gpu()) {
            return properties.threads();
        }
        return Runtime.getRuntime().availableProcessors();
    }

    private static void verify(Path file, String expectedSha256) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("model file " + file + " does not exist");
        }
        if (!expectedSha256.isBlank()) {
            String actual = Sha256.of(file);
            if (!actual.equalsIgnoreCase(expectedSha256)) {
                throw new IllegalStateException("checksum mismatch for " + file + ": registry says " + expectedSha256 + ", file has " + actual);
            }
        }
    }
}

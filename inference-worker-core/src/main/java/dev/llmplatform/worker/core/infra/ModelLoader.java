package dev.llmplatform.worker.core.infra;

import dev.llmplatform.commons.artifacts.ArtifactCache;
import dev.llmplatform.commons.artifacts.ArtifactCacheProperties;
import dev.llmplatform.commons.registry.RegistryWatch;
import dev.llmplatform.commons.registry.SavedRegistryState;
import dev.llmplatform.proto.v1.Model;
import dev.llmplatform.proto.v1.ModelArtifact;
import dev.llmplatform.proto.v1.ModelEvent;
import dev.llmplatform.worker.core.config.WorkerProperties;
import dev.llmplatform.worker.core.domain.DrainingEngine;
import dev.llmplatform.worker.core.domain.GenerationEngine;
import dev.llmplatform.worker.core.domain.LoadOutcome;
import dev.llmplatform.worker.core.domain.LoadedModels;
import dev.llmplatform.worker.core.engine.ContinuousBatchingEngine;
import dev.llmplatform.worker.core.llama.LlamaContext;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.grpc.client.GrpcChannelFactory;

/**
 * Keeps the loaded models in step with the registry's production alias. It follows the registry's WatchModels
 * stream: at start (and after every reconnect) the state of every model, then each change. For every chat model
 * whose production version has a GGUF for this device, that artifact is loaded; when a promotion moves the alias,
 * the new artifact is loaded next to the old one, the switch is one map write, and the old engine closes once the
 * generations running on it have ended, so no request fails during the switch. Artifacts come through the
 * {@link ArtifactCache}: {@code file:} URIs in place, {@code s3://} and {@code https://} fetched into the local cache.
 * Every artifact's SHA-256 is checked before loading: a corrupted file or object is refused (logged, and the previous
 * version keeps serving). Nothing is loaded
 * while the device's back end is unusable. The watch keeps the registry's last known state on disk
 * ({@code worker.registry-state-file}): restarted while the registry is down, the worker loads from it (each file
 * still checked against its SHA-256) and serves.
 */
public class ModelLoader implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ModelLoader.class);

    private final WorkerProperties properties;
    private final WorkerDevice device;
    private final RegisteredArtifacts artifacts;
    private final LoadedModels models;
    private final WorkerMetrics metrics;
    private final GrpcChannelFactory channels;
    private final ArtifactCache cache;
    /** Why the current production artifact of a model is not served, by model id. */
    private final Map<String, String> refused = new ConcurrentHashMap<>();
    /** What the registry last said about each model: the only source LoadModel may load from. */
    private final Map<String, Model> registered = new ConcurrentHashMap<>();
    private volatile String notReadyReason = "loading models from the registry";
    private volatile RegistryWatch watch;

    public ModelLoader(WorkerProperties properties, WorkerDevice device, LoadedModels models, WorkerMetrics metrics,
                       GrpcChannelFactory channels, ArtifactCache cache) {
        this.properties = properties;
        this.device = device;
        this.artifacts = new RegisteredArtifacts(device.artifactClasses(), new VariantPolicy(properties.variantChoice(),
                device.artifactClasses().getFirst(), memoryBudget(properties.variantChoice())));
        this.models = models;
        this.metrics = metrics;
        this.channels = channels;
        this.cache = cache;
        // the files of loaded models stay in the cache, however long ago they were fetched
        cache.keepWhileUsed(() -> models.all().stream().map(LoadedModels.Entry::sha256).collect(Collectors.toSet()));
    }

    /** With a cache of the default settings (tests that load only {@code file:} artifacts). */
    public ModelLoader(WorkerProperties properties, WorkerDevice device, LoadedModels models, WorkerMetrics metrics,
                       GrpcChannelFactory channels) {
        this(properties, device, models, metrics, channels, new ArtifactCache(ArtifactCacheProperties.defaults()));
    }

    /** Whether the device's back end is usable at all (it may still have no model loaded). */
    public boolean computes() {
        return device.backend() instanceof Backend.Usable;
    }

    /** Why the worker cannot take work now, or empty when it can. */
    public String notReadyReason() {
        if (device.backend() instanceof Backend.Unusable(String code, String reason)) {
            return reason;
        }
        if (!models.isEmpty()) {
            return "";
        }
        return refused.isEmpty() ? notReadyReason : notReadyReason + "; " + String.join("; ", refused.values());
    }

    /** {@link #notReadyReason()} for machines: the back end's code, {@code loading} or {@code load-failed}; empty when ready. */
    public String notReadyCode() {
        if (device.backend() instanceof Backend.Unusable(String code, String reason)) {
            return code;
        }
        if (!models.isEmpty()) {
            return "";
        }
        return refused.isEmpty() ? "loading" : "load-failed";
    }

    /** Production artifacts this worker refused to load (checksum mismatch, missing file, ...), by model id. */
    public Map<String, String> refused() {
        return Map.copyOf(refused);
    }

    @EventListener(ApplicationReadyEvent.class)
    public void start() {
        if (!(device.backend() instanceof Backend.Usable)) {
            return;
        }
        if (properties.modelFile() != null) {
            Thread.ofVirtual().name("model-loader").start(this::loadModelFile);
            return;
        }
        watch = RegistryWatch.start(channels.createChannel(properties.registryTarget()), properties.loadRetryInterval(),
                Optional.ofNullable(properties.registryStateFile()).map(SavedRegistryState::new), this::onModelEvent, this::waiting,
                "model-loader");
    }

    private void waiting(String reason) {
        notReadyReason = "waiting for the registry: " + reason;
        log.info("Registry watch not open: {}", reason);
    }

    private void loadModelFile() {
        Path file = properties.modelFile().toAbsolutePath();
        String id = file.getFileName().toString().replaceFirst("\\.gguf$", "");
        try {
            load(Model.newBuilder().setId(id).build(),
                    ModelArtifact.newBuilder().setVariantId("gguf").setUri(file.toUri().toString()).build());
        } catch (RuntimeException e) {
            refused.put(id, "cannot load worker.model-file (see the worker's log)");
            log.error("Cannot load {}: {}", file, e.getMessage());
        }
    }

    void onModelEvent(ModelEvent event) {
        String modelId = event.getModelId();
        if (event.hasModel()) {
            registered.put(modelId, event.getModel());
        } else {
            registered.remove(modelId);
        }
        Optional<VariantPolicy.Choice> choice = event.hasModel() && !"embedding".equals(event.getModel().getTask())
                ? artifacts.productionChoice(event.getModel())
                : Optional.empty();
        Optional<ModelArtifact> wanted = choice.map(VariantPolicy.Choice::artifact);
        if (wanted.isEmpty()) {
            refused.remove(modelId);
            models.remove(modelId).ifPresent(old -> {
                log.info("Model {} has no GGUF for this worker in production any more; unloading {} (version {}) once idle",
                        modelId, old.variantId(), old.version());
                old.engine().close();
            });
            if (models.isEmpty()) {
                notReadyReason = "the registry lists no model with a GGUF for " + device.artifactClasses() + " in production";
            }
            return;
        }
        ModelArtifact artifact = wanted.get();
        if (models.get(modelId).filter(e -> e.serves(artifact.getVersion(), artifact.getVariantId(), artifact.getSha256())).isPresent()) {
            return;
        }
        try {
            log.info("Model {} version {}: serving variant {} ({})", modelId, artifact.getVersion(), artifact.getVariantId(),
                    choice.get().reason());
            load(event.getModel(), artifact);
            refused.remove(modelId);
        } catch (RuntimeException e) {
            // the detail (paths, checksums) is for the log and refused(); the health page shows only the reason's code
            String reason = "refused " + modelId + " version " + artifact.getVersion() + " (" + artifact.getVariantId() + "): " + e.getMessage();
            refused.put(modelId, reason);
            log.error("Not serving the production version of {}: {}{}", modelId, reason,
                    models.get(modelId).map(old -> "; version " + old.version() + " keeps serving").orElse(""));
        }
    }

    /**
     * LoadModel: loads a chat model's artifact that the registry lists (the production GGUF for this worker, or the
     * one of any registered version whose URI the request gives exactly), after checking the file's SHA-256 against
     * the registry's. Nothing else is loaded, whatever the request names.
     *
     * @param contextLength an upper bound on the registry's context length; 0 for none
     */
    public LoadOutcome loadRegistered(String modelId, String artifactUri, String sha256, int contextLength) {
        Model model = registered.get(modelId);
        if (model == null || "embedding".equals(model.getTask())) {
            return new LoadOutcome.Refused("the registry lists no chat model '" + modelId + "'");
        }
        Optional<ModelArtifact> artifact = artifacts.resolve(model, artifactUri, sha256);
        if (artifact.isEmpty()) {
            return new LoadOutcome.Refused("no registered GGUF artifact of '" + modelId + "' with a checksum matches uri '"
                    + artifactUri + "' sha256 '" + sha256 + "'");
        }
        ModelArtifact chosen = contextLength > 0 && (artifact.get().getContextLength() == 0 || contextLength < artifact.get().getContextLength())
                ? artifact.get().toBuilder().setContextLength(contextLength).build()
                : artifact.get();
        try {
            return new LoadOutcome.Loaded(load(model, chosen).toMillis());
        } catch (RuntimeException e) {
            return new LoadOutcome.Refused(String.valueOf(e.getMessage()));
        }
    }

    /**
     * The file of a GGUF artifact the registry lists (any registered version, any of this worker's device
     * classes), checked against the registry's SHA-256: what the quantizer and the evaluation may read. Nothing else
     * is opened, whatever path the caller names.
     */
    public RegisteredFile registeredFile(String modelId, String uri, String sha256) {
        Model model = registered.get(modelId);
        if (model == null || uri.isBlank()) {
            return new RegisteredFile.NotListed("the registry lists no model '" + modelId + "' or the uri is empty");
        }
        Optional<ModelArtifact> artifact = artifacts.resolve(model, uri, sha256);
        if (artifact.isEmpty()) {
            return new RegisteredFile.NotListed("no registered GGUF artifact of '" + modelId + "' matches uri '" + uri
                    + "' sha256 '" + sha256 + "'");
        }
        try {
            // local or fetched into the artifact cache, checked against the registry's SHA-256 either way
            return new RegisteredFile.Found(cache.fetch(artifact.get()));
        } catch (RuntimeException e) {
            return new RegisteredFile.Unusable(String.valueOf(e.getMessage()));
        }
    }

    /**
     * Loads one artifact after checking its SHA-256, and switches the model to it; the engine it replaces closes
     * once idle. Returns how long the load took.
     */
    public synchronized Duration load(Model model, ModelArtifact artifact) {
        if (!(device.backend() instanceof Backend.Usable usable)) {
            throw new IllegalStateException(notReadyReason());
        }
        long started = System.nanoTime();
        try {
            Path file = cache.fetch(artifact);
            int context = Math.min(properties.contextPerSlot(), contextLength(model, artifact));
            var llama = new LlamaContext(usable.library(), file, new LlamaContext.Settings(
                    usable.gpu() ? properties.gpuLayers() : 0, properties.slots(), context, properties.batchTokens(), threads(usable)));
            var engine = new ContinuousBatchingEngine(model.getId(), llama, properties.slots(), properties.batchTokens(),
                    properties.promptCache().toBytes(), metrics.stepListener());
            var draining = new DrainingEngine(engine, () -> models.get(model.getId()).map(LoadedModels.Entry::engine));
            long created = artifact.getVersionCreatedEpochSeconds() > 0 ? artifact.getVersionCreatedEpochSeconds() : model.getCreatedEpochSeconds();
            String variant = artifact.getVariantId().isBlank() ? "gguf" : artifact.getVariantId();
            Optional<LoadedModels.Entry> replaced = models.put(new LoadedModels.Entry(draining, variant, model.getOwnedBy(), created,
                    artifact.getVersion(), artifact.getSha256()));
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            metrics.modelLoaded(model.getId(), variant, took);
            replaced.ifPresentOrElse(old -> {
                log.info("Switched model {} from version {} ({}) to version {} ({}) loaded from {} on {} in {} ms; the old engine closes when its {} running generation(s) end",
                        model.getId(), old.version(), old.variantId(), artifact.getVersion(), variant, file, usable.device(),
                        took.toMillis(), running(old.engine()));
                old.engine().close();
            }, () -> log.info("Loaded model {} version {} ({}) from {} on {} in {} ms", model.getId(), artifact.getVersion(),
                    variant, file, usable.device(), took.toMillis()));
            return took;
        } catch (UncheckedIOException e) {
            throw new IllegalStateException("cannot read " + artifact.getUri() + ": " + e.getMessage(), e);
        }
    }

    private static long memoryBudget(WorkerProperties.VariantChoice choice) {
        if (choice.memoryBudget().toBytes() > 0) {
            return choice.memoryBudget().toBytes();
        }
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getTotalMemorySize() : Long.MAX_VALUE;
    }

    /**
     * On the CPU every thread computes, and more threads than cores only thrash. One core is left to the rest: the
     * worker's own gRPC transport and sampling, and locally the relay. llama.cpp's threads meet at a barrier every
     * step, so one of them descheduled stalls them all (docs/benchmarks.md: on 2 cores, 1 thread served more than 2).
     */
    static int cpuThreads(int cores) {
        return Math.max(1, cores - 1);
    }

    private int threads(Backend.Usable usable) {
        if (properties.threads() > 0 || usable.gpu()) {
            return properties.threads();
        }
        return cpuThreads(Runtime.getRuntime().availableProcessors());
    }

    private static int contextLength(Model model, ModelArtifact artifact) {
        int length = artifact.getContextLength() > 0 ? artifact.getContextLength() : model.getContextLength();
        return length > 0 ? length : Integer.MAX_VALUE;
    }

    private static int running(GenerationEngine engine) {
        return engine instanceof DrainingEngine draining ? draining.running() : 0;
    }

    @Override
    public void close() {
        RegistryWatch current = watch;
        if (current != null) {
            current.close();
        }
    }
}

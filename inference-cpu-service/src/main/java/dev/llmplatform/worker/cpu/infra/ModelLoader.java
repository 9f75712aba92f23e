package dev.llmplatform.worker.cpu.infra;

import dev.llmplatform.commons.files.Sha256;
import dev.llmplatform.commons.registry.RegistryModels;
import dev.llmplatform.commons.registry.RegistryWatch;
import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.Model;
import dev.llmplatform.proto.v1.ModelArtifact;
import dev.llmplatform.proto.v1.ModelEvent;
import dev.llmplatform.worker.cpu.config.WorkerProperties;
import dev.llmplatform.worker.cpu.domain.DrainingEngine;
import dev.llmplatform.worker.cpu.domain.GenerationEngine;
import dev.llmplatform.worker.cpu.domain.LoadOutcome;
import dev.llmplatform.worker.cpu.domain.LoadedModels;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.grpc.client.GrpcChannelFactory;
import org.springframework.stereotype.Component;

/**
 * Keeps the loaded models in step with the registry's production alias. It follows the registry's WatchModels
 * stream: at start (and after every reconnect) the state of every model, then each change. For every chat model
 * whose production version has a CPU GGUF variant, that variant is loaded; when a promotion moves the alias, the
 * new variant is loaded next to the old one, the switch is one map write, and the old engine closes once the
 * generations running on it have ended, so no request fails during the switch. Every artifact's SHA-256 is
 * checked before loading: a corrupted file is refused (logged, and the previous version keeps serving).
 * The worker reports itself not ready (the "models" health indicator, part of readiness) until one model is loaded.
 */
@Component
public class ModelLoader implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ModelLoader.class);

    private final WorkerProperties properties;
    private final LoadedModels models;
    private final GrpcChannelFactory channels;
    private final MeterRegistry meters;
    /** Why the current production variant of a model is not served, by model id. */
    private final Map<String, String> refused = new ConcurrentHashMap<>();
    /** What the registry last said about each model: the only source LoadModel may load from. */
    private final Map<String, Model> registered = new ConcurrentHashMap<>();
    private volatile String notReadyReason = "loading models from the registry";
    private volatile RegistryWatch watch;

    public ModelLoader(WorkerProperties properties, LoadedModels models, GrpcChannelFactory channels, MeterRegistry meters) {
        this.properties = properties;
        this.models = models;
        this.channels = channels;
        this.meters = meters;
    }

    /** Why the worker serves nothing yet; empty once a model is loaded. */
    public String notReadyReason() {
        if (!models.isEmpty()) {
            return "";
        }
        return refused.isEmpty() ? notReadyReason : notReadyReason + "; " + String.join("; ", refused.values());
    }

    /** Production variants this worker refused to load (checksum mismatch, missing file, ...), by model id. */
    public Map<String, String> refused() {
        return Map.copyOf(refused);
    }

    @EventListener(ApplicationReadyEvent.class)
    public void followRegistry() {
        watch = RegistryWatch.start(channels.createChannel(properties.registryTarget()), properties.loadRetryInterval(),
                this::onModelEvent, this::waiting, "model-loader");
    }

    private void waiting(String reason) {
        notReadyReason = "waiting for the registry: " + reason;
        log.info("Registry watch not open: {}", reason);
    }

    void onModelEvent(ModelEvent event) {
        String modelId = event.getModelId();
        if (event.hasModel()) {
            registered.put(modelId, event.getModel());
        } else {
            registered.remove(modelId);
        }
        Optional<ModelArtifact> wanted = event.hasModel() && !"embedding".equals(event.getModel().getTask())
                ? RegistryModels.gguf(event.getModel(), DeviceClass.DEVICE_CLASS_CPU)
                : Optional.empty();
        if (wanted.isEmpty()) {
            refused.remove(modelId);
            models.remove(modelId).ifPresent(old -> {
                log.info("Model {} has no CPU GGUF variant in production any more; unloading {} (version {}) once idle",
                        modelId, old.variantId(), old.version());
                old.engine().close();
            });
            if (models.isEmpty()) {
                notReadyReason = "the registry lists no model with a CPU GGUF variant in production";
            }
            return;
        }
        ModelArtifact artifact = wanted.get();
        if (models.get(modelId).filter(e -> e.serves(artifact.getVersion(), artifact.getVariantId(), artifact.getSha256())).isPresent()) {
            return;
        }
        try {
            load(event.getModel(), artifact);
            refused.remove(modelId);
        } catch (RuntimeException e) {
            String reason = "refused " + modelId + " version " + artifact.getVersion() + " (" + artifact.getVariantId() + "): " + e.getMessage();
            refused.put(modelId, reason);
            log.error("Not serving the production version of {}: {}{}", modelId, reason,
                    models.get(modelId).map(old -> "; version " + old.version() + " keeps serving").orElse(""));
        }
    }

    /**
     * LoadModel: loads a chat model's artifact that the registry lists (the production CPU GGUF, or the one of any
     * registered version whose URI the request gives exactly), after checking the file's SHA-256 against the
     * registry's. Nothing else is loaded, whatever the request names.
     *
     * @param contextLength an upper bound on the registry's context length; 0 for none
     */
    public LoadOutcome loadRegistered(String modelId, String artifactUri, String sha256, int contextLength) {
        Model model = registered.get(modelId);
        if (model == null || "embedding".equals(model.getTask())) {
            return new LoadOutcome.Refused("the registry lists no chat model '" + modelId + "'");
        }
        Optional<ModelArtifact> artifact = RegisteredArtifacts.resolve(model, artifactUri, sha256);
        if (artifact.isEmpty()) {
            return new LoadOutcome.Refused("no registered CPU GGUF artifact of '" + modelId + "' with a checksum matches uri '"
                    + artifactUri + "' sha256 '" + sha256 + "'");
        }
        ModelArtifact chosen = contextLength > 0 && (artifact.get().getContextLength() == 0 || contextLength < artifact.get().getContextLength())
                ? artifact.get().toBuilder().setContextLength(contextLength).build()
                : artifact.get();
        try {
            return new LoadOutcome.Loaded(load(model, chosen));
        } catch (RuntimeException e) {
            return new LoadOutcome.Refused(String.valueOf(e.getMessage()));
        }
    }

    /**
     * Loads one artifact after checking its SHA-256, and switches the model to it; the engine it replaces closes
     * once idle. Returns how long the load took.
     */
    public synchronized long load(Model model, ModelArtifact artifact) {
        long started = System.nanoTime();
        try {
            Path file = RegistryModels.localFile(artifact);
            verify(file, artifact.getSha256());
            var engine = new LlamaCppEngine(model.getId(), file, properties.effectiveThreads(), properties.slots(),
                    Math.min(properties.contextPerSlot(), contextLength(model, artifact)));
            var draining = new DrainingEngine(engine, () -> models.get(model.getId()).map(LoadedModels.Entry::engine));
            long created = artifact.getVersionCreatedEpochSeconds() > 0 ? artifact.getVersionCreatedEpochSeconds() : model.getCreatedEpochSeconds();
            var entry = new LoadedModels.Entry(draining, artifact.getVariantId(), model.getOwnedBy(), created,
                    artifact.getVersion(), artifact.getSha256());
            Optional<LoadedModels.Entry> replaced = models.put(entry);
            long nanos = System.nanoTime() - started;
            Timer.builder("worker.model.load").description("Time to verify and load a model variant")
                    .tags("model", model.getId(), "variant", artifact.getVariantId())
                    .publishPercentileHistogram().register(meters).record(nanos, TimeUnit.NANOSECONDS);
            replaced.ifPresentOrElse(old -> {
                log.info("Switched model {} from version {} ({}) to version {} ({}) loaded from {} in {} ms; the old engine closes when its {} running generation(s) end",
                        model.getId(), old.version(), old.variantId(), artifact.getVersion(), artifact.getVariantId(), file,
                        TimeUnit.NANOSECONDS.toMillis(nanos), running(old.engine()));
                old.engine().close();
            }, () -> log.info("Loaded model {} version {} ({}) from {} in {} ms", model.getId(), artifact.getVersion(),
                    artifact.getVariantId(), file, TimeUnit.NANOSECONDS.toMillis(nanos)));
            return TimeUnit.NANOSECONDS.toMillis(nanos);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + artifact.getUri() + ": " + e.getMessage(), e);
        }
    }

    private static int contextLength(Model model, ModelArtifact artifact) {
        int length = artifact.getContextLength() > 0 ? artifact.getContextLength() : model.getContextLength();
        return length > 0 ? length : Integer.MAX_VALUE;
    }

    private static int running(GenerationEngine engine) {
        return engine instanceof DrainingEngine draining ? draining.running() : 0;
    }

    private static void verify(Path file, String expectedSha256) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("model file " + file + " does not exist");
        }
        if (!expectedSha256.isBlank()) {
            String actual = Sha256.of(file);
            if (!actual.equalsIgnoreCase(expectedSha256)) {
                throw new IllegalStateException("checksum mismatch for " + file + ": registry says " + expectedSha256
                        + ", file has " + actual + "; the file is corrupted or was replaced");
            }
        }
    }

    @Override
    public void close() {
        RegistryWatch current = watch;
        if (current != null) {
            current.close();
        }
    }
}

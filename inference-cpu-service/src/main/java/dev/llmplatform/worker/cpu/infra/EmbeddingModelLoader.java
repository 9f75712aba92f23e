package dev.llmplatform.worker.cpu.infra;

import dev.llmplatform.commons.artifacts.ArtifactCache;
import dev.llmplatform.commons.registry.RegistryModels;
import dev.llmplatform.commons.registry.SavedRegistryState;
import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.Model;
import dev.llmplatform.proto.v1.ModelArtifact;
import dev.llmplatform.worker.cpu.config.EmbeddingProperties;
import dev.llmplatform.worker.core.config.WorkerProperties;
import dev.llmplatform.worker.cpu.domain.LoadedEmbeddingModels;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.grpc.client.GrpcChannelFactory;
import org.springframework.stereotype.Component;

/**
 * Loads, at start, every embedding model the registry lists with a CPU ONNX artifact. Both files come through the
 * {@link ArtifactCache} ({@code file:} in place, {@code s3://} and {@code https://} fetched), the model checked against
 * its SHA-256. The tokenizer is the artifact's {@code tokenizer_uri} or, when the registry has none, the
 * {@code tokenizer.json} beside the model ({@code s3://bucket/m/model.onnx} → {@code s3://bucket/m/tokenizer.json}).
 * The registry keeps no checksum for tokenizers: a remote one is cached under its URI, which must therefore not be
 * overwritten with other content (the registry's uploads never do). ONNX Runtime reads both files into memory, so
 * the cache may evict them once loaded. Runs beside the generation {@link ModelLoader}: a worker serves both
 * kinds, and a registry without an embedding model only means this worker serves none.
 */
@Component
public class EmbeddingModelLoader {

    public static final String TASK = "embedding";
    private static final String TOKENIZER_FILE = "tokenizer.json";

    private static final Logger log = LoggerFactory.getLogger(EmbeddingModelLoader.class);

    private final WorkerProperties worker;
    private final EmbeddingProperties properties;
    private final LoadedEmbeddingModels models;
    private final GrpcChannelFactory channels;
    private final ArtifactCache cache;

    public EmbeddingModelLoader(WorkerProperties worker, EmbeddingProperties properties, LoadedEmbeddingModels models,
                                GrpcChannelFactory channels, ArtifactCache cache) {
        this.worker = worker;
        this.properties = properties;
        this.models = models;
        this.channels = channels;
        this.cache = cache;
    }

    /** An embedding model: its task says so, or (registries from before the task field) its CPU artifact is ONNX. */
    public static Optional<ModelArtifact> embeddingArtifact(Model model) {
        boolean chat = !model.getTask().isBlank() && !TASK.equalsIgnoreCase(model.getTask());
        return chat ? Optional.empty() : model.getArtifactsList().stream()
                .filter(a -> a.getDeviceClass() == DeviceClass.DEVICE_CLASS_CPU && a.getFormat().equalsIgnoreCase("ONNX"))
                .findFirst();
    }

    @EventListener(ApplicationReadyEvent.class)
    public void loadInBackground() {
        Thread.ofVirtual().name("embedding-model-loader").start(this::loadFromRegistry);
    }

    // The registry may still be seeding when this worker first asks, so ask again until one embedding model is listed.
    private void loadFromRegistry() {
        try {
            var channel = channels.createChannel(worker.registryTarget());
            boolean told = false;
            while (models.all().isEmpty()) {
                for (Model model : RegistryModels.await(channel, worker.loadRetryInterval(),
                        Optional.ofNullable(worker.registryStateFile()).map(SavedRegistryState::new), reason -> log.debug("Registry: {}", reason))) {
                    embeddingArtifact(model).ifPresent(artifact -> {
                        try {
                            load(model, artifact);
                        } catch (RuntimeException e) {
                            log.error("Cannot load embedding model {}: {}", model.getId(), e.getMessage());
                        }
                    });
                }
                if (models.all().isEmpty()) {
                    if (!told) {
                        log.info("The registry lists no loadable embedding model (CPU ONNX artifact) yet; asking again every {}",
                                worker.loadRetryInterval());
                        told = true;
                    }
                    Thread.sleep(worker.loadRetryInterval());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The artifact's tokenizer: its own URI in the registry, or tokenizer.json beside the model. */
    static String tokenizerUri(ModelArtifact artifact) {
        return artifact.getTokenizerUri().isBlank()
                ? URI.create(artifact.getUri()).resolve(TOKENIZER_FILE).toString()
                : artifact.getTokenizerUri();
    }

    /** Loads one ONNX artifact and its tokenizer; returns how long it took. */
    public long load(Model model, ModelArtifact artifact) {
        Path file = cache.fetch(artifact);
        Path tokenizer = cache.fetch(tokenizerUri(artifact), "", 0);
        long started = System.nanoTime();
        int maxTokens = model.getContextLength() > 0 ? model.getContextLength() : properties.defaultMaxInputTokens();
        var engine = new OnnxSentenceEncoder(model.getId(), file, tokenizer, maxTokens, properties.batchSize(), properties.threads());
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        models.put(new LoadedEmbeddingModels.Entry(engine, artifact.getVariantId(), model.getOwnedBy(), model.getCreatedEpochSeconds()))
                .ifPresent(old -> old.engine().close());
        log.info("Loaded embedding model {} ({}, {} dimensions, at most {} tokens per input) from {} in {} ms",
                model.getId(), artifact.getVariantId(), engine.dimensions(), maxTokens, file, millis);
        return millis;
    }
}

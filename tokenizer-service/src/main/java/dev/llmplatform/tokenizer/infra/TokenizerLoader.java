package dev.llmplatform.tokenizer.infra;

import dev.llmplatform.commons.artifacts.ArtifactCache;
import dev.llmplatform.commons.registry.RegistryModels;
import dev.llmplatform.commons.registry.RegistryWatch;
import dev.llmplatform.commons.registry.SavedRegistryState;
import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.ModelArtifact;
import dev.llmplatform.proto.v1.ModelEvent;
import dev.llmplatform.tokenizer.config.TokenizerProperties;
import dev.llmplatform.tokenizer.domain.Tokenizers;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.grpc.client.GrpcChannelFactory;
import org.springframework.stereotype.Component;

/**
 * Keeps the loaded tokenizers in step with the registry: follows its WatchModels stream and loads the tokenizer of
 * each model's production GGUF variant, again whenever a promotion moves the alias to another file; readiness
 * ("tokenizers" indicator) waits for one. The file comes through the {@link ArtifactCache} as the worker's does
 * ({@code s3://} and {@code https://} fetched into the local cache); one whose SHA-256 differs from the registry's is
 * refused, as the worker refuses it, and the previous tokenizer stays. The registry's last known state is kept on disk
 * ({@code tokenizer.registry-state-file}), so that a restart while the registry is down loads the same tokenizers.
 */
@Component
public class TokenizerLoader implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TokenizerLoader.class);

    private final TokenizerProperties properties;
    private final Tokenizers tokenizers;
    private final GrpcChannelFactory channels;
    private final ArtifactCache cache;
    /** The artifact (uri and SHA-256) each loaded tokenizer came from, by model id. */
    private final Map<String, String> loadedFrom = new ConcurrentHashMap<>();
    private volatile RegistryWatch watch;

    public TokenizerLoader(TokenizerProperties properties, Tokenizers tokenizers, GrpcChannelFactory channels, ArtifactCache cache) {
        this.properties = properties;
        this.tokenizers = tokenizers;
        this.channels = channels;
        this.cache = cache;
        // keep the GGUFs whose vocabularies are loaded; a re-fetch would only cost time, but why pay it
        cache.keepWhileUsed(() -> loadedFrom.values().stream().map(source -> source.substring(source.lastIndexOf('#') + 1))
                .collect(java.util.stream.Collectors.toSet()));
    }

    @EventListener(ApplicationReadyEvent.class)
    public void followRegistry() {
        watch = RegistryWatch.start(channels.createChannel(properties.registryTarget()), properties.loadRetryInterval(),
                Optional.ofNullable(properties.registryStateFile()).map(SavedRegistryState::new), this::onModelEvent, reason -> log.info("Waiting for the registry: {}", reason), "tokenizer-loader");
    }

    void onModelEvent(ModelEvent event) {
        String modelId = event.getModelId();
        // Every variant of a model shares its vocabulary; the CPU file is the smallest to open.
        Optional<ModelArtifact> artifact = event.hasModel()
                ? RegistryModels.gguf(event.getModel(), DeviceClass.DEVICE_CLASS_CPU)
                        .or(() -> RegistryModels.gguf(event.getModel(), DeviceClass.DEVICE_CLASS_GPU))
                : Optional.empty();
        if (artifact.isEmpty()) {
            if (loadedFrom.remove(modelId) != null) {
                tokenizers.remove(modelId);
                log.info("Model {} has no GGUF variant in production any more; its tokenizer is dropped", modelId);
            }
            return;
        }
        String source = artifact.get().getUri() + "#" + artifact.get().getSha256();
        if (source.equals(loadedFrom.get(modelId))) {
            return;
        }
        try {
            // a file the worker would refuse (checksum mismatch) is refused here too: the served version's tokenizer stays
            Path file = cache.fetch(artifact.get());
            tokenizers.put(new LlamaCppTokenizer(modelId, file, properties.vocabularies()));
            loadedFrom.put(modelId, source);
            log.info("Loaded the tokenizer of {} version {} from {}", modelId, artifact.get().getVersion(), artifact.get().getUri());
        } catch (IOException | RuntimeException e) {
            log.error("Cannot load the tokenizer of {} version {}: {}", modelId, artifact.get().getVersion(), e.getMessage());
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

package dev.llmplatform.worker.cpu.infra;

import dev.llmplatform.commons.files.Sha256;
import dev.llmplatform.commons.registry.RegistryModels;
import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.Model;
import dev.llmplatform.proto.v1.ModelArtifact;
import dev.llmplatform.worker.cpu.config.WorkerProperties;
import dev.llmplatform.worker.cpu.domain.LoadedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.grpc.client.GrpcChannelFactory;
import org.springframework.stereotype.Component;

/**
 * Loads, at start, every model that the registry lists with a CPU GGUF artifact, after checking its SHA-256.
 * The worker reports itself not ready (the "models" health indicator, part of readiness) until one model is loaded.
 */
@Component
public class ModelLoader {

    private static final Logger log = LoggerFactory.getLogger(ModelLoader.class);

    private final WorkerProperties properties;
    private final LoadedModels models;
    private final GrpcChannelFactory channels;
    private volatile String notReadyReason = "loading models from the registry";

    public ModelLoader(WorkerProperties properties, LoadedModels models, GrpcChannelFactory channels) {
        this.properties = properties;
        this.models = models;
        this.channels = channels;
    }

    public String notReadyReason() {
        return models.isEmpty() ? notReadyReason : "";
    }

    @EventListener(ApplicationReadyEvent.class)
    public void loadInBackground() {
        Thread.ofVirtual().name("model-loader").start(this::loadFromRegistry);
    }

    private void loadFromRegistry() {
        try {
            var channel = channels.createChannel(properties.registryTarget());
            while (models.isEmpty()) {
                for (Model model : RegistryModels.await(channel, properties.loadRetryInterval(), this::waiting)) {
                    RegistryModels.gguf(model, DeviceClass.DEVICE_CLASS_CPU).ifPresent(artifact -> {
                        try {
                            load(model, artifact);
                        } catch (RuntimeException e) {
                            notReadyReason = "cannot load " + model.getId() + ": " + e.getMessage();
                            log.error("Cannot load model {}: {}", model.getId(), e.getMessage());
                        }
                    });
                }
                if (models.isEmpty()) {
                    waiting("the registry lists no model with a loadable CPU GGUF artifact");
                    Thread.sleep(properties.loadRetryInterval());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void waiting(String reason) {
        notReadyReason = reason;
        log.info("Not ready yet: {}", reason);
    }

    /** Loads one artifact; returns how long it took. */
    public long load(Model model, ModelArtifact artifact) {
        try {
            Path file = RegistryModels.localFile(artifact);
            verify(file, artifact.getSha256());
            long started = System.nanoTime();
            var engine = new LlamaCppEngine(model.getId(), file, properties.effectiveThreads(), properties.slots(),
                    Math.min(properties.contextPerSlot(), model.getContextLength() > 0 ? model.getContextLength() : Integer.MAX_VALUE));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            models.put(new LoadedModels.Entry(engine, artifact.getVariantId(), model.getOwnedBy(), model.getCreatedEpochSeconds()))
                    .ifPresent(old -> old.engine().close());
            log.info("Loaded model {} ({}) from {} in {} ms", model.getId(), artifact.getVariantId(), file, millis);
            return millis;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + artifact.getUri() + ": " + e.getMessage(), e);
        }
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

package dev.llmplatform.registry.infra;

import dev.llmplatform.commons.gguf.GgufMetadata;
import dev.llmplatform.registry.config.RegistryProperties;
import dev.llmplatform.registry.domain.DeviceClass;
import dev.llmplatform.registry.domain.Format;
import dev.llmplatform.registry.domain.Lifecycle;
import dev.llmplatform.registry.domain.ModelVersion;
import dev.llmplatform.registry.domain.RegisteredModel;
import dev.llmplatform.registry.domain.Stage;
import dev.llmplatform.registry.domain.Task;
import dev.llmplatform.registry.domain.Variant;
import dev.llmplatform.registry.infra.artifacts.ArtifactStore;
import dev.llmplatform.registry.infra.quantize.VariantMeasurer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * What the admin APIs (REST and gRPC) do: database changes through {@link ModelStore}, artifact bytes through the
 * {@link ArtifactStore}, and a nudge to the change feed after each commit so watchers hear of it at once.
 */
@Service
public class RegistryOperations {

    private static final Logger log = LoggerFactory.getLogger(RegistryOperations.class);
    private static final int DEFAULT_CONTEXT_LENGTH = 2048;

    private final ModelStore models;
    private final ArtifactStore artifacts;
    private final ModelChangeFeed feed;
    private final long maxUploadBytes;
    private final VariantMeasurer measurer;

    /** @param measurer every variant is measured when it is registered (in the background, on a worker) */
    public RegistryOperations(ModelStore models, ArtifactStore artifacts, ModelChangeFeed feed, RegistryProperties properties,
                              VariantMeasurer measurer) {
        this.measurer = measurer;
        this.models = models;
        this.artifacts = artifacts;
        this.feed = feed;
        this.maxUploadBytes = properties.artifacts().maxUploadSize().toBytes();
    }

    /** What an upload declares about its artifact; blank or zero fields are read from the artifact where possible. */
    public record VariantSpec(String variantId, Format format, String quantization, DeviceClass deviceClass, String sha256,
                              String tokenizerUri, int contextLength, String chatTemplate, String licence) {
    }

    public RegisteredModel registerModel(String id, String ownedBy, String description, Task task) {
        return changed(models.registerModel(id, ownedBy, description, task));
    }

    public ModelVersion registerVersion(String modelId, String version, String description) {
        return changed(models.registerVersion(modelId, version, description));
    }

    public ModelVersion setStage(String modelId, String version, Stage stage) {
        return changed(models.setStage(modelId, version, stage));
    }

    /** Adds a variant whose artifact already lies somewhere the workers can read (seeding, or an external bucket). */
    public ModelVersion addVariant(String modelId, String version, Variant variant) {
        ModelVersion added = changed(models.addVariant(modelId, version, variant));
        measurer.variantAdded(modelId, version, variant);
        return added;
    }

    /**
     * Streams an artifact into the store and adds it as a variant. Model, version and variant id are checked before
     * the first byte is read, so a 404 or 409 costs no upload; a checksum or size refusal leaves nothing stored.
     */
    public ModelVersion uploadVariant(String modelId, String version, VariantSpec spec, InputStream body, long contentLength)
            throws IOException {
        models.checkVariantCanBeAdded(modelId, version, spec.variantId());
        String sha256 = Lifecycle.checkSha256(spec.sha256());
        String key = modelId + "/" + version + "/" + spec.variantId() + "/" + spec.variantId() + "."
                + spec.format().name().toLowerCase(Locale.ROOT);
        ArtifactStore.StoredArtifact stored = artifacts.put(key, body, contentLength, sha256, maxUploadBytes);
        try {
            Optional<GgufMetadata> metadata = spec.format() == Format.GGUF ? stored.localFile().flatMap(RegistryOperations::gguf) : Optional.empty();
            int contextLength = spec.contextLength() > 0 ? spec.contextLength()
                    : metadata.flatMap(GgufMetadata::contextLength).map(Long::intValue).orElse(DEFAULT_CONTEXT_LENGTH);
            String chatTemplate = !spec.chatTemplate().isBlank() ? spec.chatTemplate()
                    : metadata.flatMap(GgufMetadata::chatTemplate).orElse("");
            var variant = new Variant(spec.variantId(), spec.format(), spec.quantization(), spec.deviceClass(), stored.uri(),
                    stored.sha256(), stored.sizeBytes(), spec.tokenizerUri(), contextLength, chatTemplate, spec.licence(), Instant.now());
            ModelVersion added = changed(models.addVariant(modelId, version, variant));
            measurer.variantAdded(modelId, version, variant);
            return added;
        } catch (RuntimeException e) {
            artifacts.delete(stored.uri());
            throw e;
        }
    }

    public ModelVersion deleteVersion(String modelId, String version) {
        ModelVersion deleted = changed(models.deleteVersion(modelId, version));
        deleted.variants().forEach(this::deleteArtifact);
        return deleted;
    }

    public RegisteredModel deleteModel(String modelId) {
        RegisteredModel deleted = changed(models.deleteModel(modelId));
        deleted.versions().forEach(v -> v.variants().forEach(this::deleteArtifact));
        return deleted;
    }

    public InputStream openArtifact(Variant variant) throws IOException {
        return artifacts.open(variant.uri());
    }

    private void deleteArtifact(Variant variant) {
        try {
            artifacts.delete(variant.uri());
        } catch (IOException | RuntimeException e) {
            log.warn("Could not delete artifact {}: {}", variant.uri(), e.getMessage());
        }
    }

    private <T> T changed(T result) {
        feed.changed();
        return result;
    }

    private static Optional<GgufMetadata> gguf(Path file) {
        try {
            return Optional.of(GgufMetadata.read(file));
        } catch (IOException | RuntimeException e) {
            log.warn("{} is declared GGUF but its metadata cannot be read: {}", file, e.getMessage());
            return Optional.empty();
        }
    }

}

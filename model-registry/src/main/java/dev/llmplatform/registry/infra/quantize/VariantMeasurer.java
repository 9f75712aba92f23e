package dev.llmplatform.registry.infra.quantize;

import dev.llmplatform.proto.v1.ArtifactRef;
import dev.llmplatform.proto.v1.EvaluateArtifactRequest;
import dev.llmplatform.registry.config.RegistryProperties;
import dev.llmplatform.registry.domain.DeviceClass;
import dev.llmplatform.registry.domain.Format;
import dev.llmplatform.registry.domain.ModelVersion;
import dev.llmplatform.registry.domain.RegisteredModel;
import dev.llmplatform.registry.domain.RegistryException;
import dev.llmplatform.registry.domain.Stage;
import dev.llmplatform.registry.domain.Task;
import dev.llmplatform.registry.domain.Variant;
import dev.llmplatform.registry.domain.VariantMeasurements;
import dev.llmplatform.registry.infra.ModelChangeFeed;
import dev.llmplatform.registry.infra.ModelStore;
import java.io.IOException;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every GGUF variant of a chat model is measured when it is registered: a worker computes its perplexity on the
 * model's held-out text, its agreement with the version's unquantized (F16) variant, decode speed and memory, and
 * the registry stores them on the variant. Measuring runs in the background on the worker queue; a variant whose
 * measurement could not be made (no worker within registry.quantizer.worker-wait) is measured at the next start.
 */
public class VariantMeasurer {

    private static final Logger log = LoggerFactory.getLogger(VariantMeasurer.class);

    private final ModelStore store;
    private final ModelChangeFeed feed;
    private final WorkerArtifactClient worker;
    private final EvaluationTexts texts;
    private final RegistryProperties.Quantizer settings;
    private final WorkerJobs jobs;
    private final Set<String> pending = ConcurrentHashMap.newKeySet();

    public VariantMeasurer(ModelStore store, ModelChangeFeed feed, WorkerArtifactClient worker, EvaluationTexts texts,
                           RegistryProperties.Quantizer settings, WorkerJobs jobs) {
        this.store = store;
        this.feed = feed;
        this.worker = worker;
        this.texts = texts;
        this.settings = settings;
        this.jobs = jobs;
    }

    /** A variant was registered: measure it in the background (once, however often this is called meanwhile). */
    public void variantAdded(String modelId, String version, Variant variant) {
        if (!settings.enabled() || variant.format() != Format.GGUF
                || variant.deviceClass() != DeviceClass.parse(settings.deviceClass(), "registry.quantizer.device-class")) {
            return;
        }
        String key = modelId + "/" + version + "/" + variant.variantId();
        if (!pending.add(key)) {
            return;
        }
        jobs.submit(() -> {
            try {
                measure(modelId, version, variant.variantId());
            } catch (Exception e) {
                log.warn("Variant {} not measured: {}", key, e.getMessage());
            } finally {
                pending.remove(key);
            }
        });
    }

    /** At start: every GGUF variant of a chat model in a version that is not archived and has no measurements yet. */
    public void measureUnmeasured() {
        for (RegisteredModel model : store.findAll()) {
            if (model.task() != Task.CHAT) {
                continue;
            }
            for (ModelVersion version : model.versions()) {
                if (version.stage() == Stage.ARCHIVED) {
                    continue;
                }
                version.variants().stream().filter(v -> v.measurements().isEmpty())
                        .forEach(v -> variantAdded(model.id(), version.version(), v));
            }
        }
    }

    /** Measures now, on the calling thread, and stores the result on the variant. */
    public VariantMeasurements measure(String modelId, String version, String variantId) throws IOException, InterruptedException {
        RegisteredModel model = store.findById(modelId)
                .orElseThrow(() -> new RegistryException.NotFound("model '" + modelId + "' is not registered", "model"));
        if (model.task() != Task.CHAT) {
            throw new RegistryException.InvalidArgument("only chat models' GGUF variants are measured", "model");
        }
        ModelVersion target = model.version(version)
                .orElseThrow(() -> new RegistryException.NotFound("model '" + modelId + "' has no version '" + version + "'", "version"));
        Variant variant = target.variant(variantId)
                .orElseThrow(() -> new RegistryException.NotFound("no variant '" + variantId + "'", "variant_id"));
        Optional<Variant> reference = target.variants().stream()
                .filter(v -> v.format() == Format.GGUF && v.unquantized() && !v.variantId().equals(variantId))
                .findFirst();
        var text = texts.forModel(modelId);
        var request = EvaluateArtifactRequest.newBuilder().setArtifact(ref(modelId, variant)).setText(text.content())
                .setTextName(text.name()).setChunkTokens(text.chunkTokens() > 0 ? text.chunkTokens() : settings.chunkTokens()).setDecodeTokens(settings.decodeTokens());
        reference.ifPresent(r -> request.setReference(ref(modelId, r)));
        var measured = worker.evaluate(request.build());
        var measurements = new VariantMeasurements(measured.getPerplexity(), measured.getScoredTokens(), measured.getTextName(),
                reference.map(Variant::variantId).orElse(""),
                measured.hasTop1Agreement() ? Optional.of(measured.getTop1Agreement()) : Optional.empty(),
                measured.hasKlDivergence() ? Optional.of(measured.getKlDivergence()) : Optional.empty(),
                measured.getDecodeTokensPerSecond(), measured.getMemoryBytes(),
                measured.getDeviceClass() == dev.llmplatform.proto.v1.DeviceClass.DEVICE_CLASS_GPU ? DeviceClass.GPU : DeviceClass.CPU,
                measured.getDevice(), Instant.ofEpochSecond(measured.getMeasuredEpochSeconds()));
        store.saveMeasurements(modelId, version, variantId, measurements);
        feed.changed();
        log.info("Measured {} version {} variant {}: perplexity {} on {}, top-1 agreement {} and KL {} against {}, {} tokens/s, {} bytes",
                modelId, version, variantId, measurements.perplexity(), measurements.textName(), measurements.top1Agreement().orElse(null),
                measurements.klDivergence().orElse(null), measurements.referenceVariantId(), measurements.decodeTokensPerSecond(),
                measurements.memoryBytes());
        return measurements;
    }

    static ArtifactRef ref(String modelId, Variant variant) {
        return ArtifactRef.newBuilder().setModel(modelId).setUri(variant.uri()).setSha256(variant.sha256()).build();
    }
}

package dev.llmplatform.registry.infra.quantize;

import dev.llmplatform.proto.v1.QuantizeResult;
import dev.llmplatform.registry.config.RegistryProperties;
import dev.llmplatform.registry.domain.Format;
import dev.llmplatform.registry.domain.ModelVersion;
import dev.llmplatform.registry.domain.QuantizeJob;
import dev.llmplatform.registry.domain.RegisteredModel;
import dev.llmplatform.registry.domain.RegistryException;
import dev.llmplatform.registry.domain.Stage;
import dev.llmplatform.registry.domain.Variant;
import dev.llmplatform.registry.infra.ModelChangeFeed;
import dev.llmplatform.registry.infra.ModelStore;
import dev.llmplatform.registry.infra.QuantizeJobStore;
import dev.llmplatform.registry.infra.artifacts.ArtifactStore;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The quantize action: makes a variant of a version in another llama.cpp type from the version's unquantized GGUF,
 * on a worker (the engine owns the quantizer), as a background job with progress. The worker streams the file back
 * and the registry stores it through its own artifact store, with its SHA-256, as variant
 * {@code <source variant>-<type>} (cpu-f16 → cpu-f16-q4_k_m) of the same version, then has it measured.
 */
public class VariantQuantizer {

    private static final Logger log = LoggerFactory.getLogger(VariantQuantizer.class);

    /**
     * The types llama.cpp's quantizer makes without an importance matrix (the platform computes none); the worker
     * checks again, this list only turns a typo into a 400 before a job starts.
     */
    public static final Set<String> TYPES = Set.of("Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L",
            "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K", "IQ3_XXS", "IQ3_XS", "IQ3_S", "IQ3_M", "IQ4_NL", "IQ4_XS", "TQ1_0", "TQ2_0");

    private final ModelStore store;
    private final QuantizeJobStore jobStore;
    private final ArtifactStore artifacts;
    private final ModelChangeFeed feed;
    private final WorkerArtifactClient worker;
    private final VariantMeasurer measurer;
    private final WorkerJobs jobs;
    private final RegistryProperties properties;

    public VariantQuantizer(ModelStore store, QuantizeJobStore jobStore, ArtifactStore artifacts, ModelChangeFeed feed,
                            WorkerArtifactClient worker, VariantMeasurer measurer, WorkerJobs jobs, RegistryProperties properties) {
        this.store = store;
        this.jobStore = jobStore;
        this.artifacts = artifacts;
        this.feed = feed;
        this.worker = worker;
        this.measurer = measurer;
        this.jobs = jobs;
        this.properties = properties;
    }

    /** The variant id a quantization of {@code sourceVariant} gets. */
    public static String targetVariant(String sourceVariant, String type) {
        return sourceVariant + "-" + type.toLowerCase(Locale.ROOT);
    }

    /**
     * Starts a job, or returns the one already queued or running for the same target. 404 for an unknown model,
     * version or variant; 400 for an unknown type or a source that is not an unquantized GGUF; 409 when the target
     * variant exists, the version is archived, or the quantizer is disabled. Synchronized: the same request twice at
     * once starts one job (one registry; across replicas the second job fails when it adds the existing variant).
     */
    public synchronized QuantizeJob submit(String modelId, String version, String sourceVariantId, String requestedType) {
        if (!properties.quantizer().enabled()) {
            throw new RegistryException.Conflict("the quantizer is disabled (registry.quantizer.enabled)", "type");
        }
        String type = requestedType == null ? "" : requestedType.strip().toUpperCase(Locale.ROOT);
        if (!TYPES.contains(type)) {
            throw new RegistryException.InvalidArgument("type must be one of " + TYPES.stream().sorted().toList() + "; got '"
                    + requestedType + "'", "type");
        }
        RegisteredModel model = store.findById(modelId)
                .orElseThrow(() -> new RegistryException.NotFound("model '" + modelId + "' is not registered", "model"));
        ModelVersion target = model.version(version)
                .orElseThrow(() -> new RegistryException.NotFound("model '" + modelId + "' has no version '" + version + "'", "version"));
        Variant source = target.variant(sourceVariantId)
                .orElseThrow(() -> new RegistryException.NotFound("model '" + modelId + "' has no variant '" + sourceVariantId
                        + "' in version '" + version + "'", "variant_id"));
        if (source.format() != Format.GGUF || !source.unquantized()) {
            throw new RegistryException.InvalidArgument("variant '" + sourceVariantId + "' is " + source.format() + " "
                    + source.quantization() + "; quantize from an unquantized (F32, F16, BF16) GGUF variant", "variant_id");
        }
        if (target.stage() == Stage.ARCHIVED) {
            throw new RegistryException.Conflict("version " + version + " of " + modelId + " is archived", "version");
        }
        String targetVariant = targetVariant(sourceVariantId, type);
        Optional<QuantizeJob> running = jobStore.unfinished(modelId, version, targetVariant);
        if (running.isPresent()) {
            return running.get();
        }
        if (target.variant(targetVariant).isPresent()) {
            throw new RegistryException.AlreadyExists("variant '" + targetVariant + "' of version '" + version + "' of model '"
                    + modelId + "' already exists", "type");
        }
        Instant now = Instant.now();
        var job = new QuantizeJob(UUID.randomUUID().toString(), modelId, version, sourceVariantId, type, targetVariant,
                QuantizeJob.State.QUEUED, "queued", 0, "", now, now);
        jobStore.insert(job);
        jobs.submit(() -> run(job, source));
        log.info("Quantize job {}: {} version {} variant {} to {} as {}", job.id(), modelId, version, sourceVariantId, type, targetVariant);
        return job;
    }

    public Optional<QuantizeJob> job(String id) {
        return jobStore.find(id);
    }

    public List<QuantizeJob> jobs() {
        return jobStore.findAll();
    }

    /**
     * At start: jobs a previous run left unfinished are marked failed (their worker call died with that process), then
     * the seed models' quantizations that are still missing are requested, and unmeasured variants are measured.
     * Nothing here waits: the jobs queue until a worker answers.
     */
    public void start() {
        int failed = jobStore.failUnfinished("the registry stopped while the job ran; start it again");
        if (failed > 0) {
            log.warn("{} quantize job(s) were unfinished when the registry stopped; marked failed", failed);
        }
        if (!properties.quantizer().enabled()) {
            return;
        }
        if (properties.seed().enabled()) {
            for (var seed : properties.seed().models()) {
                for (String type : seed.quantize()) {
                    try {
                        Optional<ModelVersion> version = store.findById(seed.id()).flatMap(m -> m.version(seed.version()));
                        if (version.isPresent() && version.get().variant(seed.variantId()).isPresent()
                                && version.get().variant(targetVariant(seed.variantId(), type)).isEmpty()) {
                            submit(seed.id(), seed.version(), seed.variantId(), type);
                        }
                    } catch (RuntimeException e) {
                        log.warn("Seed model {} not quantized to {}: {}", seed.id(), type, e.getMessage());
                    }
                }
            }
        }
        measurer.measureUnmeasured();
    }

    private void run(QuantizeJob job, Variant source) {
        Path temp = null;
        try {
            jobStore.update(job.id(), QuantizeJob.State.RUNNING, "quantizing", 0, "");
            temp = Files.createTempFile("quantized-", ".gguf");
            var lastWrite = new long[] {0};
            QuantizeResult result = worker.quantize(VariantMeasurer.ref(job.modelId(), source), job.targetType(), temp, progress -> {
                // the bytes arrive in many chunks; the database hears of progress at most twice a second
                if (System.nanoTime() - lastWrite[0] > 500_000_000L) {
                    lastWrite[0] = System.nanoTime();
                    jobStore.update(job.id(), QuantizeJob.State.RUNNING, progress.getStage(), 0.8 * progress.getFraction(), "");
                }
            });
            jobStore.update(job.id(), QuantizeJob.State.RUNNING, "storing", 0.8, "");
            Variant variant = store(job, source, result, temp);
            jobStore.update(job.id(), QuantizeJob.State.RUNNING, "measuring", 0.9, "");
            String message = "sha256 " + variant.sha256();
            try {
                measurer.measure(job.modelId(), job.version(), variant.variantId());
            } catch (Exception e) {
                message += "; stored but not measured: " + e.getMessage();
                log.warn("Quantize job {}: {} stored but not measured: {}", job.id(), variant.variantId(), e.getMessage());
            }
            jobStore.update(job.id(), QuantizeJob.State.SUCCEEDED, "done", 1, message);
            log.info("Quantize job {} done: {} {} bytes, {}", job.id(), variant.variantId(), variant.sizeBytes(), message);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            jobStore.update(job.id(), QuantizeJob.State.FAILED, "failed", 0, "the registry stopped while the job ran");
        } catch (StatusRuntimeException e) {
            log.warn("Quantize job {} failed: the worker answered {}", job.id(), e.getStatus());
            jobStore.update(job.id(), QuantizeJob.State.FAILED, "failed", 0,
                    "the worker answered " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
        } catch (Exception e) {
            log.warn("Quantize job {} failed", job.id(), e);
            jobStore.update(job.id(), QuantizeJob.State.FAILED, "failed", 0, String.valueOf(e.getMessage()));
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    log.debug("Cannot delete {}: {}", temp, e.getMessage());
                }
            }
        }
    }

    private Variant store(QuantizeJob job, Variant source, QuantizeResult result, Path file) throws IOException {
        String key = job.modelId() + "/" + job.version() + "/" + job.targetVariant() + "/" + job.targetVariant() + ".gguf";
        ArtifactStore.StoredArtifact stored;
        try (InputStream in = Files.newInputStream(file)) {
            stored = artifacts.put(key, in, result.getSizeBytes(), result.getSha256(), properties.artifacts().maxUploadSize().toBytes());
        }
        var variant = new Variant(job.targetVariant(), Format.GGUF, result.getQuantization(), source.deviceClass(), stored.uri(),
                stored.sha256(), stored.sizeBytes(), source.tokenizerUri(), source.contextLength(), source.chatTemplate(),
                source.licence(), Instant.now());
        try {
            store.addDerivedVariant(job.modelId(), job.version(), variant);
        } catch (RuntimeException e) {
            artifacts.delete(stored.uri());
            throw e;
        }
        feed.changed();
        return variant;
    }
}

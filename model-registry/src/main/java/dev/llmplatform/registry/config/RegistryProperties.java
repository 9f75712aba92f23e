package dev.llmplatform.registry.config;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * @param seed      models registered at start when missing, so that a fresh laptop serves something without an admin step
 * @param artifacts where uploaded artifacts are kept
 * @param watch     how the change stream (WatchModels) finds changes made by other registry replicas
 * @param adminCallers the certificate identities that may use the admin REST API (platform.security.enabled)
 * @param quantizer the worker that quantizes and measures variants for the registry
 */
@ConfigurationProperties("registry")
public record RegistryProperties(
        @DefaultValue Seed seed,
        @DefaultValue Artifacts artifacts,
        @DefaultValue Watch watch,
        @DefaultValue({"gateway", "admin"}) List<String> adminCallers,
        @DefaultValue Quantizer quantizer) {

    /** @param enabled register the models below at start (each only when it is not registered yet) */
    public record Seed(@DefaultValue("true") boolean enabled, @DefaultValue List<SeedModel> models) {
    }

    /**
     * One model to seed as version {@code version} in production, with one CPU variant read from a local file. A
     * missing file skips the entry with a warning.
     *
     * @param path          the artifact, relative to the working directory or absolute
     * @param tokenizerPath the tokenizer file for formats that do not embed one (ONNX); empty otherwise
     * @param contextLength 0 reads it from the GGUF metadata
     * @param quantize      llama.cpp types (Q8_0, Q4_K_M) to make from the seeded variant once a worker is up, as the
     *                      quantize action would; made once, then reused (they are variants in the database)
     */
    public record SeedModel(
            String id,
            @DefaultValue("llm-platform") String ownedBy,
            @DefaultValue("") String description,
            @DefaultValue("chat") String task,
            @DefaultValue("1") String version,
            @DefaultValue("cpu") String variantId,
            @DefaultValue("GGUF") String format,
            @DefaultValue("f16") String quantization,
            @DefaultValue("cpu") String deviceClass,
            String path,
            @DefaultValue("") String tokenizerPath,
            @DefaultValue("") String licence,
            @DefaultValue("0") int contextLength,
            @DefaultValue List<String> quantize) {
    }

    /**
     * Quantizing and measuring on a worker (the engine owns the quantizer; measurements need the worker's device).
     *
     * @param enabled      off: the quantize action answers 409, variants are registered unmeasured and seed models are
     *                     not quantized
     * @param target       gRPC target of the worker (its mutual TLS identity as for every internal call); the local CPU
     *                     worker by default
     * @param workerWait   how long a job waits for the worker to be up and to know the artifact (the registry starts first)
     * @param texts        the held-out text to measure perplexity on, per model (a file, relative to the working directory)
     * @param chunkTokens  tokens per perplexity chunk, capped by the model's context
     * @param decodeTokens tokens generated to measure decode speed
     * @param deviceClass  the device class of that worker: only variants of this class are measured (it loads no other)
     * @param startDelay   no quantizing or measuring this soon after the registry started, while the platform's other
     *                     services boot on the same cores (decode speeds measured then are a fraction of the real ones)
     */
    public record Quantizer(
            @DefaultValue("true") boolean enabled,
            @DefaultValue("static://127.0.0.1:9093") String target,
            @DefaultValue("5m") Duration workerWait,
            @DefaultValue List<EvaluationText> texts,
            @DefaultValue("512") int chunkTokens,
            @DefaultValue("32") int decodeTokens,
            @DefaultValue("cpu") String deviceClass,
            @DefaultValue("45s") Duration startDelay) {
    }

    /**
     * @param path        a text file; models without one are measured on the registry's default text (evaluation/default.txt)
     * @param chunkTokens tokens per perplexity chunk for this model (e.g. the window it was trained on); 0 for the global one
     */
    public record EvaluationText(String model, String path, @DefaultValue("0") int chunkTokens) {
    }

    /**
     * @param store         {@code local} (a directory, the default) or {@code s3}
     * @param localDir      the directory of the local store
     * @param maxUploadSize larger uploads are refused with 413
     */
    public record Artifacts(
            @DefaultValue("local") String store,
            @DefaultValue(".platform/artifacts") String localDir,
            @DefaultValue("16GB") DataSize maxUploadSize,
            @DefaultValue S3 s3) {
    }

    /**
     * An S3-compatible bucket. Credentials come from the AWS default chain (AWS_ACCESS_KEY_ID and
     * AWS_SECRET_ACCESS_KEY, a profile, or the pod's role) unless {@code accessKeyId} is set.
     *
     * @param endpoint        empty for AWS itself; the URL of MinIO, Ceph or another S3-compatible server otherwise
     * @param pathStyle       address buckets as endpoint/bucket (most S3-compatible servers) instead of bucket.endpoint
     * @param serverChecksum  send each upload's SHA-256 as {@code x-amz-checksum-sha256}, so that the server refuses
     *                        mismatching bytes itself; off for servers that do not implement it (S3Proxy): the
     *                        registry still hashes every upload and deletes an object that does not match
     * @param accessKeyId     with {@code secretAccessKey}, fixed credentials instead of the default chain
     * @param secretAccessKey see {@code accessKeyId}
     */
    public record S3(
            @DefaultValue("") String bucket,
            @DefaultValue("models/") String prefix,
            @DefaultValue("") String endpoint,
            @DefaultValue("us-east-1") String region,
            @DefaultValue("true") boolean pathStyle,
            @DefaultValue("true") boolean serverChecksum,
            @DefaultValue("") String accessKeyId,
            @DefaultValue("") String secretAccessKey) {
    }

    /**
     * @param pollInterval how often the registry reads the change log for changes another replica committed (its own
     *                     changes reach watchers at once)
     * @param keepChanges  how long the change log keeps an entry
     */
    public record Watch(@DefaultValue("2s") Duration pollInterval, @DefaultValue("1h") Duration keepChanges) {
    }
}

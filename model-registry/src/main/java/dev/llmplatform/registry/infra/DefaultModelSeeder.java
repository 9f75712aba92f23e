package dev.llmplatform.registry.infra;

import dev.llmplatform.commons.files.Sha256;
import dev.llmplatform.commons.gguf.GgufMetadata;
import dev.llmplatform.registry.config.RegistryProperties;
import dev.llmplatform.registry.domain.RegisteredModel;
import dev.llmplatform.registry.domain.RegisteredModel.Artifact;
import dev.llmplatform.registry.domain.RegisteredModel.DeviceClass;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;

/**
 * Registers the default model at start so that a fresh laptop serves something without an admin step.
 * The artifact's SHA-256 is computed from the file and, when a SHA256SUMS file lies beside it, must match it.
 */
@Component
public class DefaultModelSeeder implements ApplicationRunner {

    private static final Logger log = LoggerFactory.getLogger(DefaultModelSeeder.class);

    private final ModelRepository repository;
    private final RegistryProperties.DefaultModel defaults;

    public DefaultModelSeeder(ModelRepository repository, RegistryProperties properties) {
        this.repository = repository;
        this.defaults = properties.defaultModel();
    }

    @Override
    public void run(ApplicationArguments args) throws IOException {
        if (!defaults.seed()) {
            return;
        }
        Path file = Path.of(defaults.path()).toAbsolutePath().normalize();
        if (!Files.isRegularFile(file)) {
            log.error("Default model file {} is missing; nothing registered. Run ./platform up or the Maven build to fetch it.", file);
            return;
        }
        repository.save(describe(file));
        log.info("Registered default model {} from {}", defaults.id(), file);
        seedEmbeddingModel(EMBEDDING_MODEL.toAbsolutePath().normalize());
    }

    // Minimal seed of the embedding model served at /v1/embeddings (models/all-minilm-l6-v2/README.md), until the
    // registry stores a model's task; the worker recognises it by its CPU ONNX artifact meanwhile.
    static final Path EMBEDDING_MODEL = Path.of("models/all-minilm-l6-v2/model.onnx");

    private void seedEmbeddingModel(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            log.warn("Embedding model file {} is missing; no embedding model registered.", file);
            return;
        }
        String sha256 = Sha256.of(file);
        expectedSha256(file).filter(expected -> !expected.equalsIgnoreCase(sha256)).ifPresent(expected -> {
            throw new IllegalStateException("Checksum mismatch for " + file + ": expected " + expected + " but the file has " + sha256);
        });
        var artifact = new Artifact("cpu-onnx-q8", "ONNX", "Q8", DeviceClass.CPU, file.toUri().toString(), sha256, Files.size(file));
        repository.save(new RegisteredModel("all-minilm-l6-v2", "sentence-transformers",
                "all-MiniLM-L6-v2 sentence embeddings: 384 dimensions, at most 256 word pieces per input (quantized ONNX).",
                "Apache-2.0", 256, "", Instant.now(), List.of(artifact)));
        log.info("Registered embedding model all-minilm-l6-v2 from {}", file);
    }

    RegisteredModel describe(Path file) throws IOException {
        GgufMetadata metadata = GgufMetadata.read(file);
        String sha256 = Sha256.of(file);
        expectedSha256(file).filter(expected -> !expected.equalsIgnoreCase(sha256)).ifPresent(expected -> {
            throw new IllegalStateException("Checksum mismatch for " + file + ": expected " + expected + " but the file has " + sha256);
        });
        var artifact = new Artifact(defaults.variantId(), "GGUF", defaults.quantization(), DeviceClass.CPU,
                file.toUri().toString(), sha256, Files.size(file));
        int contextLength = metadata.contextLength().map(Long::intValue).orElse(2048);
        return new RegisteredModel(defaults.id(), defaults.ownedBy(), defaults.description(), defaults.licence(),
                contextLength, metadata.chatTemplate().orElse(""), Instant.now(), List.of(artifact));
    }

    private static Optional<String> expectedSha256(Path file) throws IOException {
        Path sums = file.resolveSibling("SHA256SUMS");
        if (!Files.isRegularFile(sums)) {
            return Optional.empty();
        }
        String name = file.getFileName().toString();
        return Files.readAllLines(sums).stream()
                .map(line -> line.trim().split("\\s+\\*?", 2))
                .filter(parts -> parts.length == 2 && parts[1].replaceFirst("^\\*", "").endsWith(name))
                .map(parts -> parts[0])
                .findFirst();
    }
}

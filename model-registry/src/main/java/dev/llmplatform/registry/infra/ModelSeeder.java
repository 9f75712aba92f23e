package dev.llmplatform.registry.infra;

import dev.llmplatform.commons.files.Sha256;
import dev.llmplatform.commons.gguf.GgufMetadata;
import dev.llmplatform.registry.config.RegistryProperties;
import dev.llmplatform.registry.config.RegistryProperties.SeedModel;
import dev.llmplatform.registry.domain.DeviceClass;
import dev.llmplatform.registry.domain.Format;
import dev.llmplatform.registry.domain.Stage;
import dev.llmplatform.registry.domain.Task;
import dev.llmplatform.registry.domain.Variant;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;

/**
 * Registers the configured seed models at start (registry.seed.models), each as one version in production with
 * one variant pointing at a local file, so that a fresh laptop serves something without an admin step. A model
 * that is registered already is left as it is (an operator may have promoted newer versions since). A missing file
 * skips its entry with a warning; a file whose SHA-256 differs from the SHA256SUMS beside it is refused.
 */
@Component
public class ModelSeeder implements ApplicationRunner {

    private static final Logger log = LoggerFactory.getLogger(ModelSeeder.class);

    private final RegistryOperations operations;
    private final ModelStore store;
    private final RegistryProperties.Seed seed;

    public ModelSeeder(RegistryOperations operations, ModelStore store, RegistryProperties properties) {
        this.operations = operations;
        this.store = store;
        this.seed = properties.seed();
    }

    @Override
    public void run(ApplicationArguments args) {
        if (!seed.enabled()) {
            return;
        }
        for (SeedModel model : seed.models()) {
            try {
                seedOne(model);
            } catch (IOException | RuntimeException e) {
                log.warn("Seed model {} not registered: {}", model.id(), e.getMessage());
            }
        }
    }

    private void seedOne(SeedModel model) throws IOException {
        if (store.findById(model.id()).isPresent()) {
            log.info("Seed model {} is registered already; left as it is", model.id());
            return;
        }
        Path file = Path.of(model.path()).toAbsolutePath().normalize();
        if (!Files.isRegularFile(file)) {
            log.warn("Seed model {} skipped: its artifact {} does not exist", model.id(), file);
            return;
        }
        Path tokenizer = model.tokenizerPath().isBlank() ? null : Path.of(model.tokenizerPath()).toAbsolutePath().normalize();
        if (tokenizer != null && !Files.isRegularFile(tokenizer)) {
            log.warn("Seed model {} skipped: its tokenizer {} does not exist", model.id(), tokenizer);
            return;
        }
        Format format = Format.parse(model.format(), "format");
        String sha256 = Sha256.of(file);
        expectedSha256(file).filter(expected -> !expected.equalsIgnoreCase(sha256)).ifPresent(expected -> {
            throw new IllegalStateException("checksum mismatch for " + file + ": SHA256SUMS says " + expected + " but the file has " + sha256);
        });
        Optional<GgufMetadata> metadata = format == Format.GGUF ? Optional.of(GgufMetadata.read(file)) : Optional.empty();
        int contextLength = model.contextLength() > 0 ? model.contextLength()
                : metadata.flatMap(GgufMetadata::contextLength).map(Long::intValue).orElse(2048);
        var variant = new Variant(model.variantId(), format, model.quantization(), DeviceClass.parse(model.deviceClass(), "device_class"),
                file.toUri().toString(), sha256, Files.size(file), tokenizer == null ? "" : tokenizer.toUri().toString(),
                contextLength, metadata.flatMap(GgufMetadata::chatTemplate).orElse(""), model.licence(), Instant.now());

        operations.registerModel(model.id(), model.ownedBy(), model.description(), Task.parse(model.task(), "task"));
        operations.registerVersion(model.id(), model.version(), "seeded from " + file.getFileName());
        operations.addVariant(model.id(), model.version(), variant);
        operations.setStage(model.id(), model.version(), Stage.PRODUCTION);
        log.info("Registered seed model {} version {} from {}", model.id(), model.version(), file);
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

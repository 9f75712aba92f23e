package dev.llmplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.commons.files.Sha256;
import dev.llmplatform.registry.domain.DeviceClass;
import dev.llmplatform.registry.domain.Format;
import dev.llmplatform.registry.domain.ModelVersion;
import dev.llmplatform.registry.domain.RegisteredModel;
import dev.llmplatform.registry.domain.Stage;
import dev.llmplatform.registry.infra.ModelStore;
import dev.llmplatform.registry.infra.RegistryOperations;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Starts and stops the whole registry application against one database, the way an operator restarts it: a
 * fresh JVM-level context each time, nothing shared but the database (and the artifact directory).
 */
final class RegistryRestart {

    static final Path MODEL = Path.of("../models/tiny-kjv-chat/tiny-kjv-chat.gguf").toAbsolutePath().normalize();

    private final Map<String, Object> properties = new LinkedHashMap<>();

    RegistryRestart(Map<String, String> database, Path artifacts) {
        properties.putAll(database);
        properties.put("server.port", "0");
        properties.put("spring.grpc.server.port", "0");
        properties.put("registry.artifacts.local-dir", artifacts.toString());
        // a list given here replaces application.yml's list as a whole (Spring Boot does not merge lists)
        properties.put("registry.seed.models[0].id", "tiny-kjv-chat");
        properties.put("registry.seed.models[0].variant-id", "cpu-f16");
        properties.put("registry.seed.models[0].path", MODEL.toString());
        // this seed entry's file is missing: it must be skipped with a warning, not stop the start
        properties.put("registry.seed.models[1].id", "all-minilm-l6-v2");
        properties.put("registry.seed.models[1].format", "onnx");
        properties.put("registry.seed.models[1].task", "embedding");
        properties.put("registry.seed.models[1].path", artifacts.resolve("missing/model.onnx").toString());
    }

    ConfigurableApplicationContext start() {
        // as command-line arguments: they outrank application.yml, as an operator's settings do
        return new SpringApplicationBuilder(RegistryApplication.class)
                .run(properties.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new));
    }

    /** Registers version 2 of the seeded model from the real GGUF file and promotes it; returns its SHA-256. */
    static String registerAndPromoteVersion2(ConfigurableApplicationContext registry) throws IOException {
        var operations = registry.getBean(RegistryOperations.class);
        operations.registerVersion("tiny-kjv-chat", "2", "same weights, new name");
        String sha256 = Sha256.of(MODEL);
        try (InputStream in = Files.newInputStream(MODEL)) {
            operations.uploadVariant("tiny-kjv-chat", "2", new RegistryOperations.VariantSpec("cpu-f16-v2", Format.GGUF, "f16",
                    DeviceClass.CPU, sha256, "", 0, "", "CC0-1.0"), in, Files.size(MODEL));
        }
        operations.setStage("tiny-kjv-chat", "2", Stage.PRODUCTION);
        return sha256;
    }

    /** What must have survived: both versions, the alias on version 2, the variant as uploaded. */
    static void assertVersion2InProduction(ConfigurableApplicationContext registry, String sha256) {
        RegisteredModel model = registry.getBean(ModelStore.class).findById("tiny-kjv-chat").orElseThrow();
        assertThat(model.productionVersion()).contains("2");
        // versions registered later (e.g. after a database restart) may follow
        assertThat(model.versions()).extracting(v -> v.version() + ":" + v.stage()).startsWith("1:ARCHIVED", "2:PRODUCTION");
        ModelVersion two = model.version("2").orElseThrow();
        assertThat(two.variants()).singleElement().satisfies(v -> {
            assertThat(v.sha256()).isEqualTo(sha256);
            assertThat(v.contextLength()).isPositive();
            assertThat(v.chatTemplate()).contains("<|im_start|>");
            assertThat(Path.of(java.net.URI.create(v.uri()))).exists();
        });
        assertThat(registry.getBean(ModelStore.class).findById("all-minilm-l6-v2")).isEmpty();
    }
}

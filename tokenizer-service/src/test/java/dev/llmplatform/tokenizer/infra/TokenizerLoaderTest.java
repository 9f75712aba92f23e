package dev.llmplatform.tokenizer.infra;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.commons.files.Sha256;
import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.Model;
import dev.llmplatform.proto.v1.ModelArtifact;
import dev.llmplatform.proto.v1.ModelChangeKind;
import dev.llmplatform.proto.v1.ModelEvent;
import dev.llmplatform.tokenizer.config.TokenizerProperties;
import dev.llmplatform.tokenizer.domain.ModelTokenizer;
import dev.llmplatform.tokenizer.domain.Tokenizers;
import dev.llmplatform.commons.artifacts.ArtifactCache;
import dev.llmplatform.commons.artifacts.ArtifactCacheProperties;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** The tokenizer service following the registry's production alias, on the real model file. */
class TokenizerLoaderTest {

    private static final Path GGUF = Path.of(System.getProperty("platform.model", "../models/tiny-kjv-chat/tiny-kjv-chat.gguf"))
            .toAbsolutePath().normalize();

    @TempDir
    Path dir;

    private final Tokenizers tokenizers = new Tokenizers();
    private final TokenizerLoader loader = new TokenizerLoader(
            new Binder(new MapConfigurationPropertySource(Map.of())).bindOrCreate("tokenizer", TokenizerProperties.class), tokenizers, null,
            new ArtifactCache(ArtifactCacheProperties.defaults()));

    @AfterEach
    void close() {
        tokenizers.close();
    }

    private static ModelEvent production(String version, Path file) throws Exception {
        var artifact = ModelArtifact.newBuilder().setVariantId("cpu").setFormat("GGUF").setDeviceClass(DeviceClass.DEVICE_CLASS_CPU)
                .setUri(file.toUri().toString()).setSha256(Sha256.of(file)).setVersion(version);
        return ModelEvent.newBuilder().setModelId("tiny").setKind(ModelChangeKind.MODEL_CHANGE_KIND_PROMOTED).setVersion(version)
                .setModel(Model.newBuilder().setId("tiny").setProductionVersion(version).addArtifacts(artifact)).build();
    }

    @Test
    void loadsTheProductionTokenizerAndReloadsItOnlyWhenTheAliasMovesToAnotherFile() throws Exception {
        loader.onModelEvent(production("1", GGUF));
        ModelTokenizer first = tokenizers.get("tiny").orElseThrow();
        loader.onModelEvent(production("1", GGUF));
        assertThat(tokenizers.get("tiny")).containsSame(first);

        loader.onModelEvent(production("2", Files.copy(GGUF, dir.resolve("v2.gguf"))));

        ModelTokenizer second = tokenizers.get("tiny").orElseThrow();
        assertThat(second).isNotSameAs(first);
        assertThat(second.encode("In the beginning", false)).containsExactly(first.encode("In the beginning", false));
    }

    @Test
    void aCorruptedFileIsRefusedAndThePreviousTokenizerStays() throws Exception {
        loader.onModelEvent(production("1", GGUF));
        ModelTokenizer first = tokenizers.get("tiny").orElseThrow();
        Path corrupted = Files.copy(GGUF, dir.resolve("v2.gguf"));
        ModelEvent event = production("2", corrupted);
        byte[] bytes = Files.readAllBytes(corrupted);
        bytes[bytes.length / 2] ^= 1;
        Files.write(corrupted, bytes);

        loader.onModelEvent(event);

        assertThat(tokenizers.get("tiny")).containsSame(first);
    }

    @Test
    void dropsTheTokenizerOfADeletedModel() throws Exception {
        loader.onModelEvent(production("1", GGUF));

        loader.onModelEvent(ModelEvent.newBuilder().setModelId("tiny").setKind(ModelChangeKind.MODEL_CHANGE_KIND_DELETED).build());

        assertThat(tokenizers.get("tiny")).isEmpty();
    }
}

package dev.llmplatform.worker.core.infra;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.commons.files.Sha256;
import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.Model;
import dev.llmplatform.proto.v1.ModelArtifact;
import dev.llmplatform.proto.v1.ModelChangeKind;
import dev.llmplatform.proto.v1.ModelEvent;
import dev.llmplatform.worker.core.config.WorkerProperties;
import dev.llmplatform.worker.core.domain.DrainingEngine;
import dev.llmplatform.worker.core.domain.LoadedModels;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The worker following the production alias, on the real model: switch on promotion, refuse a corrupted file. */
class ModelLoaderTest {

    private static final Path GGUF = CpuBuild.GGUF;

    @TempDir
    Path dir;

    private final LoadedModels models = new LoadedModels();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    // bound the way Spring binds it, so settings added later keep their defaults here
    private final WorkerProperties properties = new Binder(new MapConfigurationPropertySource(Map.of(
            "worker.threads", "2", "worker.slots", "2", "worker.context-per-slot", "128"))).bindOrCreate("worker", WorkerProperties.class);
    private final ModelLoader loader = new ModelLoader(properties, CpuBuild.device(), models, new WorkerMetrics(meters, models), null);

    @AfterEach
    void close() {
        models.close();
    }

    private static ModelEvent promoted(String version, Path file, String sha256) {
        var artifact = ModelArtifact.newBuilder().setVariantId("cpu-" + version).setFormat("GGUF").setDeviceClass(DeviceClass.DEVICE_CLASS_CPU)
                .setUri(file.toUri().toString()).setSha256(sha256).setVersion(version).setVersionCreatedEpochSeconds(1000 + version.length())
                .setContextLength(256);
        return ModelEvent.newBuilder().setModelId("tiny").setKind(ModelChangeKind.MODEL_CHANGE_KIND_PROMOTED).setVersion(version)
                .setModel(Model.newBuilder().setId("tiny").setTask("chat").setProductionVersion(version).addArtifacts(artifact)).build();
    }

    @Test
    void onTheCpuItComputesOnEveryCoreButOneAndOnAtLeastOne() {
        assertThat(ModelLoader.cpuThreads(1)).isEqualTo(1);
        assertThat(ModelLoader.cpuThreads(2)).isEqualTo(1);
        assertThat(ModelLoader.cpuThreads(16)).isEqualTo(15);
    }

    @Test
    void aPromotionSwitchesToTheNewVariantAndRetiresTheOldEngine() throws Exception {
        Path copy = Files.copy(GGUF, dir.resolve("v2.gguf"), StandardCopyOption.REPLACE_EXISTING);
        String sha256 = Sha256.of(GGUF);
        loader.onModelEvent(promoted("1", GGUF, sha256));
        var first = models.get("tiny").orElseThrow();

        loader.onModelEvent(promoted("22", copy, sha256));

        var second = models.get("tiny").orElseThrow();
        assertThat(second.version()).isEqualTo("22");
        assertThat(second.variantId()).isEqualTo("cpu-22");
        assertThat(second.createdEpochSeconds()).isEqualTo(1002);
        assertThat(((DrainingEngine) first.engine()).isClosed()).isTrue();
        assertThat(meters.get("worker.model.load").tag("model", "tiny").tag("variant", "cpu-22").timer().count()).isEqualTo(1);
    }

    @Test
    void theSameStateTwiceLoadsNothingTwice() throws Exception {
        String sha256 = Sha256.of(GGUF);
        loader.onModelEvent(promoted("1", GGUF, sha256));
        var first = models.get("tiny").orElseThrow();

        loader.onModelEvent(promoted("1", GGUF, sha256));

        assertThat(models.get("tiny").orElseThrow()).isSameAs(first);
    }

    @Test
    void aCorruptedArtifactIsRefusedAndThePreviousVersionKeepsServing() throws Exception {
        String sha256 = Sha256.of(GGUF);
        loader.onModelEvent(promoted("1", GGUF, sha256));
        Path corrupted = Files.copy(GGUF, dir.resolve("corrupted.gguf"));
        byte[] bytes = Files.readAllBytes(corrupted);
        bytes[bytes.length / 2] ^= 1;
        Files.write(corrupted, bytes);

        loader.onModelEvent(promoted("2", corrupted, sha256));

        assertThat(models.get("tiny").orElseThrow().version()).isEqualTo("1");
        assertThat(loader.refused().get("tiny")).contains("refused tiny version 2").contains("checksum mismatch");
    }

    @Test
    void aModelWithoutAProductionGgufForThisDeviceIsUnloaded() throws Exception {
        loader.onModelEvent(promoted("1", GGUF, Sha256.of(GGUF)));

        loader.onModelEvent(ModelEvent.newBuilder().setModelId("tiny").setKind(ModelChangeKind.MODEL_CHANGE_KIND_DELETED).build());

        assertThat(models.isEmpty()).isTrue();
        assertThat(loader.notReadyReason()).contains("no model with a GGUF for [DEVICE_CLASS_CPU]");
    }
}

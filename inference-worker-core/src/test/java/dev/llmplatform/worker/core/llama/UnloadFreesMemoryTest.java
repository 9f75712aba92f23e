package dev.llmplatform.worker.core.llama;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.commons.files.Sha256;
import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.Model;
import dev.llmplatform.proto.v1.ModelArtifact;
import dev.llmplatform.worker.core.config.WorkerProperties;
import dev.llmplatform.worker.core.domain.GenerationRequest;
import dev.llmplatform.worker.core.domain.LoadedModels;
import dev.llmplatform.worker.core.engine.PreviousEngine;
import dev.llmplatform.worker.core.infra.CpuBuild;
import dev.llmplatform.worker.core.infra.ModelLoader;
import dev.llmplatform.worker.core.infra.WorkerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * Unloading a model gives its memory back: context, KV cache, weights and the file's mapping. Each round does what
 * the worker does: LoadModel's load (verify, llama.cpp context, batching engine), a generation, then UnloadModel's
 * removal and close. The test JVM's heap is fixed and pre-touched (pom), so RSS moves with native memory only.
 */
class UnloadFreesMemoryTest {

    private final LoadedModels models = new LoadedModels();
    private final WorkerProperties properties = new Binder(new MapConfigurationPropertySource(Map.of(
            "worker.threads", "1", "worker.slots", "4", "worker.context-per-slot", "512", "worker.batch-tokens", "64")))
            .bindOrCreate("worker", WorkerProperties.class);
    private final ModelLoader loader = new ModelLoader(properties, CpuBuild.device(), models,
            new WorkerMetrics(new SimpleMeterRegistry(), models), null);

    @Test
    void residentMemoryReturnsToWithinTenPercentAfterRepeatedLoadsAndUnloads() throws Exception {
        var model = Model.newBuilder().setId("tiny").setTask("chat").build();
        var artifact = ModelArtifact.newBuilder().setVariantId("cpu-f16").setFormat("GGUF").setDeviceClass(DeviceClass.DEVICE_CLASS_CPU)
                .setUri(CpuBuild.GGUF.toUri().toString()).setSha256(Sha256.of(CpuBuild.GGUF)).setVersion("1").build();
        // two rounds first, so that what stays for good (ggml's back-end registry, loaded classes, the JIT) is in the baseline
        loadGenerateAndUnload(model, artifact);
        loadGenerateAndUnload(model, artifact);
        long before = residentBytes();

        long loaded = 0;
        for (int round = 0; round < 5; round++) {
            loaded = Math.max(loaded, loadGenerateAndUnload(model, artifact));
        }
        long after = residentBytes();

        assertThat(mappedModelFiles()).as("the GGUF is unmapped").isZero();
        assertThat(loaded).as("a loaded model is resident").isGreaterThan(before);
        assertThat((double) after).as("VmRSS after 5 loads and unloads vs before (%d bytes)", before)
                .isLessThanOrEqualTo(before * 1.10);
    }

    /** Returns the resident memory while loaded. */
    private long loadGenerateAndUnload(Model model, ModelArtifact artifact) throws Exception {
        loader.load(model, artifact);
        var engine = models.get("tiny").orElseThrow().engine();
        engine.submit(GenerationRequest.greedy("r", PreviousEngine.PROMPT, 16), (text, tokens) -> { }, () -> false)
                .get(60, TimeUnit.SECONDS);
        long resident = residentBytes();
        models.remove("tiny").orElseThrow().engine().close();
        return resident;
    }

    /** VmRSS of this process, from /proc/self/status. */
    private static long residentBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    private static long mappedModelFiles() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.endsWith(".gguf")).count();
    }
}

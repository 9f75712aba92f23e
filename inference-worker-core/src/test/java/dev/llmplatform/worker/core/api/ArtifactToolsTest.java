package dev.llmplatform.worker.core.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmplatform.commons.files.Sha256;
import dev.llmplatform.proto.v1.ArtifactRef;
import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.EvaluateArtifactRequest;
import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.Model;
import dev.llmplatform.proto.v1.ModelArtifact;
import dev.llmplatform.proto.v1.ModelChangeKind;
import dev.llmplatform.proto.v1.ModelEvent;
import dev.llmplatform.proto.v1.ModelVersion;
import dev.llmplatform.proto.v1.QuantizeArtifactChunk;
import dev.llmplatform.proto.v1.QuantizeArtifactRequest;
import dev.llmplatform.proto.v1.VariantMeasurements;
import dev.llmplatform.worker.core.config.WorkerProperties;
import dev.llmplatform.worker.core.domain.LoadedModels;
import dev.llmplatform.worker.core.infra.CpuBuild;
import dev.llmplatform.worker.core.infra.ModelLoader;
import dev.llmplatform.worker.core.infra.ModelLoaderEvents;
import dev.llmplatform.worker.core.infra.WorkerMetrics;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * QuantizeArtifact and EvaluateArtifact over gRPC on llama.cpp's CPU build: they read only what the registry lists,
 * checked, and refuse the rest with the status a caller can act on.
 */
class ArtifactToolsTest {

    @TempDir
    static Path dir;
    static final LoadedModels models = new LoadedModels();
    static ModelLoader loader;
    static ArtifactTools tools;
    static Server server;
    static ManagedChannel channel;
    static InferenceWorkerGrpc.InferenceWorkerBlockingStub worker;
    static ArtifactRef f16;
    static ArtifactRef tampered;
    static ArtifactRef quantized;

    @BeforeAll
    static void start() throws Exception {
        var properties = new Binder(new MapConfigurationPropertySource(Map.of("worker.threads", "1", "worker.slots", "1",
                "worker.context-per-slot", "128", "worker.batch-tokens", "64"))).bindOrCreate("worker", WorkerProperties.class);
        var device = CpuBuild.device();
        loader = new ModelLoader(properties, device, models, new WorkerMetrics(new SimpleMeterRegistry(), models), null);
        Path bad = Files.copy(CpuBuild.GGUF, dir.resolve("tampered.gguf"));
        String sha = Sha256.of(CpuBuild.GGUF);
        Files.write(bad, new byte[] {1}, java.nio.file.StandardOpenOption.APPEND);
        Path q8 = dir.resolve("q8.gguf");
        new dev.llmplatform.worker.core.llama.LlamaQuantizer(CpuBuild.library()).quantize(CpuBuild.GGUF, q8,
                dev.llmplatform.worker.core.llama.QuantizationType.Q8_0, 1);
        quantized = ArtifactRef.newBuilder().setModel("tiny-kjv-chat").setUri(q8.toUri().toString()).setSha256(Sha256.of(q8)).build();
        f16 = ArtifactRef.newBuilder().setModel("tiny-kjv-chat").setUri(CpuBuild.GGUF.toUri().toString()).setSha256(sha).build();
        tampered = ArtifactRef.newBuilder().setModel("tiny-kjv-chat").setUri(bad.toUri().toString()).setSha256(sha).build();
        ModelLoaderEvents.deliver(loader, ModelEvent.newBuilder().setModelId("tiny-kjv-chat").setKind(ModelChangeKind.MODEL_CHANGE_KIND_PROMOTED)
                .setModel(Model.newBuilder().setId("tiny-kjv-chat").setTask("chat").setProductionVersion("1")
                        .addArtifacts(artifact("cpu-f16", f16))
                        .addVersions(ModelVersion.newBuilder().setVersion("2").addVariants(artifact("cpu-f16", tampered))
                                .addVariants(artifact("cpu-q8", quantized)))).build());
        tools = new ArtifactTools(device, ref -> loader.registeredFile(ref.getModel(), ref.getUri(), ref.getSha256()), 1);
        var service = new InferenceWorkerService(properties, models, loader, null, null, List.of(), null, Optional.of(tools));
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).addService(service).build().start();
        channel = InProcessChannelBuilder.forName(name).build();
        worker = InferenceWorkerGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
    }

    private static ModelArtifact artifact(String variant, ArtifactRef ref) {
        return ModelArtifact.newBuilder().setVariantId(variant).setFormat("GGUF").setDeviceClass(DeviceClass.DEVICE_CLASS_CPU)
                .setUri(ref.getUri()).setSha256(ref.getSha256()).setVersion("1").setContextLength(512).build();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        channel.shutdownNow();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        tools.close();
        models.close();
    }

    private static List<QuantizeArtifactChunk> quantize(ArtifactRef source, String type) {
        List<QuantizeArtifactChunk> chunks = new ArrayList<>();
        worker.quantizeArtifact(QuantizeArtifactRequest.newBuilder().setSource(source).setTargetType(type).build())
                .forEachRemaining(chunks::add);
        return chunks;
    }

    private static Status.Code refusal(Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
        throw new AssertionError("not refused");
    }

    @Test
    void quantizingStreamsProgressThenTheFileThenItsChecksum() throws Exception {
        List<QuantizeArtifactChunk> chunks = quantize(f16, "q8_0");

        var bytes = new ByteArrayOutputStream();
        chunks.stream().filter(QuantizeArtifactChunk::hasData).forEach(c -> bytes.writeBytes(c.getData().toByteArray()));
        Path received = Files.write(dir.resolve("received.gguf"), bytes.toByteArray());
        var result = chunks.getLast().getResult();
        assertThat(chunks.getFirst().getProgress().getStage()).isEqualTo("verifying");
        assertThat(chunks).anyMatch(c -> c.getProgress().getStage().equals("quantizing"));
        assertThat(result.getQuantization()).isEqualTo("q8_0");
        assertThat(result.getSizeBytes()).isEqualTo(Files.size(received)).isLessThan(Files.size(CpuBuild.GGUF) * 6 / 10);
        assertThat(result.getSha256()).isEqualTo(Sha256.of(received));
        assertThat(dev.llmplatform.commons.gguf.GgufMetadata.read(received).integer("general.file_type")).contains(7L);
        try (var temps = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertThat(temps.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("quantize-") && n.endsWith("q8_0.gguf"));
        }
    }

    @Test
    void badRequestsGetTheStatusTheCallerCanActOn() {
        assertThat(refusal(() -> quantize(f16, "Q9_9"))).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(refusal(() -> quantize(f16, "F16"))).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(refusal(() -> quantize(f16.toBuilder().setUri("file:///etc/passwd").build(), "Q8_0"))).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(refusal(() -> quantize(f16.toBuilder().setModel("other").build(), "Q8_0"))).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(refusal(() -> quantize(tampered, "Q8_0"))).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(refusal(() -> quantize(quantized, "Q4_K_M"))).as("an already quantized source").isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(refusal(() -> worker.evaluateArtifact(EvaluateArtifactRequest.newBuilder().setArtifact(f16).build())))
                .isEqualTo(Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void evaluationMeasuresPerplexityAgreementSpeedAndMemory() throws Exception {
        String text = Files.readString(CpuBuild.GGUF.resolveSibling("heldout.txt"));
        VariantMeasurements m = worker.evaluateArtifact(EvaluateArtifactRequest.newBuilder().setArtifact(f16).setReference(f16)
                .setText(text).setTextName("heldout").setChunkTokens(256).setDecodeTokens(16).build()).getMeasurements();

        assertThat(m.getPerplexity()).isGreaterThan(1);
        assertThat(m.getTop1Agreement()).isEqualTo(1.0); // against itself
        assertThat(m.getKlDivergence()).isLessThan(1e-6);
        assertThat(m.getDecodeTokensPerSecond()).isPositive();
        assertThat(m.getMemoryBytes()).isPositive();
        assertThat(m.getDeviceClass()).isEqualTo(DeviceClass.DEVICE_CLASS_CPU);
        assertThat(m.getTextName()).isEqualTo("heldout");
    }
}

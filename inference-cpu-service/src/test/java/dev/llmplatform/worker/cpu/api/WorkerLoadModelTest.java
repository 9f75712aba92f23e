package dev.llmplatform.worker.cpu.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmplatform.commons.files.Sha256;
import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.LoadModelRequest;
import dev.llmplatform.proto.v1.Model;
import dev.llmplatform.proto.v1.ModelArtifact;
import dev.llmplatform.proto.v1.ModelChangeKind;
import dev.llmplatform.proto.v1.ModelEvent;
import dev.llmplatform.worker.cpu.config.EmbeddingProperties;
import dev.llmplatform.worker.cpu.config.WorkerProperties;
import dev.llmplatform.worker.cpu.domain.LoadTracker;
import dev.llmplatform.worker.cpu.domain.LoadedEmbeddingModels;
import dev.llmplatform.worker.cpu.domain.LoadedModels;
import dev.llmplatform.worker.cpu.infra.ModelLoader;
import dev.llmplatform.worker.cpu.infra.ModelLoaderEvents;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** LoadModel loads only what the registry lists, verified, and refuses everything else with one uniform answer. */
class WorkerLoadModelTest {

    private static final Path GGUF = Path.of(System.getProperty("platform.model", "../models/tiny-kjv-chat/tiny-kjv-chat.gguf"))
            .toAbsolutePath().normalize();
    private static final String REFUSAL = "model 'tiny-kjv-chat' is not a registered artifact or failed verification";

    @TempDir
    Path dir;

    private final LoadedModels models = new LoadedModels();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final Binder config = new Binder(new MapConfigurationPropertySource(Map.of(
            "worker.threads", "1", "worker.slots", "1", "worker.context-per-slot", "128")));
    private final WorkerProperties properties = config.bindOrCreate("worker", WorkerProperties.class);
    private final ModelLoader loader = new ModelLoader(properties, models, null, meters);
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private Server server;
    private ManagedChannel channel;
    private InferenceWorkerGrpc.InferenceWorkerBlockingStub worker;

    @BeforeEach
    void start() throws Exception {
        var embeddings = new WorkerEmbeddings(new LoadedEmbeddingModels(), models,
                config.bindOrCreate("worker.embeddings", EmbeddingProperties.class), properties, meters);
        var service = new InferenceWorkerGrpcService(models, new LoadTracker(1), loader, properties, executor, meters, embeddings);
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).addService(service).build().start();
        channel = InProcessChannelBuilder.forName(name).build();
        worker = InferenceWorkerGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        executor.close();
        models.close();
    }

    /** The registry's state of the model: its production version's CPU GGUF at {@code file}, with {@code sha256}. */
    private void registryLists(Path file, String sha256) {
        var artifact = ModelArtifact.newBuilder().setVariantId("cpu-f16").setFormat("GGUF").setDeviceClass(DeviceClass.DEVICE_CLASS_CPU)
                .setUri(file.toUri().toString()).setSha256(sha256).setVersion("1").setContextLength(256);
        ModelLoaderEvents.deliver(loader, ModelEvent.newBuilder().setModelId("tiny-kjv-chat").setKind(ModelChangeKind.MODEL_CHANGE_KIND_PROMOTED)
                .setVersion("1").setModel(Model.newBuilder().setId("tiny-kjv-chat").setTask("chat").setProductionVersion("1")
                        .addArtifacts(artifact)).build());
        models.remove("tiny-kjv-chat").ifPresent(entry -> entry.engine().close()); // loaded by the event; LoadModel is under test
    }

    private StatusRuntimeException refusal(String artifactUri) {
        var request = LoadModelRequest.newBuilder().setModel("tiny-kjv-chat").setArtifactUri(artifactUri).build();
        try {
            worker.loadModel(request);
        } catch (StatusRuntimeException e) {
            return e;
        }
        throw new AssertionError("LoadModel of " + artifactUri + " was not refused");
    }

    @Test
    void hostFilesThatAreNotRegistryArtifactsAllGetTheSameAnswerAsAMissingPath() throws Exception {
        registryLists(GGUF, Sha256.of(GGUF));
        Path copyOfTheModel = Files.copy(GGUF, dir.resolve("copy.gguf"));
        Path unreadable = Files.writeString(dir.resolve("secret.gguf"), "x");
        unreadable.toFile().setReadable(false);
        List<String> candidates = List.of("file:///etc/hostname", copyOfTheModel.toUri().toString(), dir.toUri().toString(),
                unreadable.toUri().toString(), "file:///nonexistent/model.gguf", "/etc/passwd", "s3://bucket/model.gguf");

        List<Status> answers = new ArrayList<>();
        for (String candidate : candidates) {
            answers.add(refusal(candidate).getStatus());
        }

        assertThat(answers).allSatisfy(status -> {
            assertThat(status.getCode()).isEqualTo(Status.Code.NOT_FOUND);
            assertThat(status.getDescription()).isEqualTo(REFUSAL);
        });
        assertThat(models.isEmpty()).isTrue();
    }

    @Test
    void aRegisteredArtifactWhoseFileFailsItsChecksumGetsTheSameAnswer() throws Exception {
        Path tampered = Files.copy(GGUF, dir.resolve("tampered.gguf"));
        Files.write(tampered, new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
        registryLists(tampered, Sha256.of(GGUF));

        assertThat(refusal(tampered.toUri().toString()).getStatus()).satisfies(status -> {
            assertThat(status.getCode()).isEqualTo(Status.Code.NOT_FOUND);
            assertThat(status.getDescription()).isEqualTo(REFUSAL);
        });
        assertThat(refusal("").getStatus().getDescription()).as("the production artifact, named implicitly").isEqualTo(REFUSAL);
        assertThat(models.isEmpty()).isTrue();
    }

    @Test
    void aChecksumInTheRequestMustBeTheRegistrysAndAnUnregisteredModelIsRefusedAlike() throws Exception {
        registryLists(GGUF, Sha256.of(GGUF));

        var wrongChecksum = LoadModelRequest.newBuilder().setModel("tiny-kjv-chat").setArtifactUri(GGUF.toUri().toString())
                .setSha256("0".repeat(64)).build();
        assertThatThrownBy(() -> worker.loadModel(wrongChecksum)).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getDescription()).isEqualTo(REFUSAL));
        assertThatThrownBy(() -> worker.loadModel(LoadModelRequest.newBuilder().setModel("unknown")
                .setArtifactUri(GGUF.toUri().toString()).build())).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getDescription()).isEqualTo("model 'unknown' is not a registered artifact or failed verification"));
    }

    @Test
    void theRegisteredArtifactLoadsByItsUriOrAsTheProductionVariant() throws Exception {
        String sha256 = Sha256.of(GGUF);
        registryLists(GGUF, sha256);

        var byUri = worker.loadModel(LoadModelRequest.newBuilder().setModel("tiny-kjv-chat").setArtifactUri(GGUF.toUri().toString())
                .setSha256(sha256).build());
        assertThat(byUri.getModel()).isEqualTo("tiny-kjv-chat");
        assertThat(models.get("tiny-kjv-chat")).hasValueSatisfying(entry -> assertThat(entry.variantId()).isEqualTo("cpu-f16"));

        var production = worker.loadModel(LoadModelRequest.newBuilder().setModel("tiny-kjv-chat").build());
        assertThat(production.getModel()).isEqualTo("tiny-kjv-chat");
        assertThat(models.get("tiny-kjv-chat")).hasValueSatisfying(entry -> assertThat(entry.sha256()).isEqualTo(sha256));
    }
}

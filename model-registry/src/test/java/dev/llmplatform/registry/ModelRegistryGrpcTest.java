package dev.llmplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.GetModelRequest;
import dev.llmplatform.proto.v1.ListModelsRequest;
import dev.llmplatform.proto.v1.Model;
import dev.llmplatform.proto.v1.ModelChangeKind;
import dev.llmplatform.proto.v1.ModelEvent;
import dev.llmplatform.proto.v1.ModelRegistryGrpc;
import dev.llmplatform.proto.v1.RegisterModelRequest;
import dev.llmplatform.proto.v1.RegisterVersionRequest;
import dev.llmplatform.proto.v1.ResolveModelRequest;
import dev.llmplatform.proto.v1.ResolvedModel;
import dev.llmplatform.proto.v1.SetVersionStageRequest;
import dev.llmplatform.proto.v1.VersionStage;
import dev.llmplatform.proto.v1.WatchModelsRequest;
import dev.llmplatform.registry.domain.Format;
import dev.llmplatform.registry.domain.Variant;
import dev.llmplatform.registry.infra.RegistryOperations;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.grpc.test.autoconfigure.LocalGrpcServerPort;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The registry's gRPC API over a real socket, persisting to the PostgreSQL server on 127.0.0.1:5432
 * (each run in a schema of its own).
 */
@SpringBootTest(properties = {"spring.grpc.server.port=0", "server.port=0", "registry.seed.enabled=false"})
class ModelRegistryGrpcTest {

    @BeforeAll
    static void requirePostgres() {
        PostgresTestDatabase.assumeReachable();
    }

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry registry) {
        PostgresTestDatabase.register(registry);
    }

    @LocalGrpcServerPort
    int grpcPort;

    @Autowired
    RegistryOperations operations;

    /** Writing through the store alone, without the operations' nudge, is what another registry replica looks like. */
    @Autowired
    dev.llmplatform.registry.infra.ModelStore store;

    ManagedChannel channel;
    ModelRegistryGrpc.ModelRegistryBlockingStub registry;

    @BeforeEach
    void connect() {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
        registry = ModelRegistryGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void disconnect() {
        channel.shutdownNow();
    }

    private String newModel() {
        String id = "model-" + UUID.randomUUID();
        registry.registerModel(RegisterModelRequest.newBuilder().setModelId(id).setOwnedBy("acme").setTask("chat").build());
        return id;
    }

    private void addVersion(String id, String version, char shaDigit) {
        registry.registerVersion(RegisterVersionRequest.newBuilder().setModelId(id).setVersion(version).build());
        operations.addVariant(id, version, variant("cpu-q8", dev.llmplatform.registry.domain.DeviceClass.CPU, shaDigit));
        operations.addVariant(id, version, variant("gpu-f16", dev.llmplatform.registry.domain.DeviceClass.GPU, shaDigit));
    }

    private static Variant variant(String variantId, dev.llmplatform.registry.domain.DeviceClass device, char shaDigit) {
        return new Variant(variantId, Format.GGUF, "q8_0", device, "file:///models/" + variantId + ".gguf",
                String.valueOf(shaDigit).repeat(64), 123, "", 4096, "{{ messages }}", "MIT", Instant.now());
    }

    private void promote(String id, String version) {
        registry.setVersionStage(SetVersionStageRequest.newBuilder().setModelId(id).setVersion(version)
                .setStage(VersionStage.VERSION_STAGE_PRODUCTION).build());
    }

    @Test
    void modelArtifactsAreTheVariantsOfTheProductionVersion() {
        String id = newModel();
        addVersion(id, "1", 'a');
        addVersion(id, "2", 'b');
        promote(id, "1");

        Model model = registry.getModel(GetModelRequest.newBuilder().setModelId(id).build());

        assertThat(model.getProductionVersion()).isEqualTo("1");
        assertThat(model.getContextLength()).isEqualTo(4096);
        assertThat(model.getTask()).isEqualTo("chat");
        assertThat(model.getArtifactsList()).extracting(a -> a.getDeviceClass())
                .containsExactly(DeviceClass.DEVICE_CLASS_CPU, DeviceClass.DEVICE_CLASS_GPU);
        assertThat(model.getArtifactsList()).allSatisfy(a -> assertThat(a.getSha256()).isEqualTo("a".repeat(64)));
        assertThat(model.getVersionsList()).extracting(v -> v.getVersion() + ":" + v.getStage())
                .containsExactly("1:VERSION_STAGE_PRODUCTION", "2:VERSION_STAGE_REGISTERED");
        assertThat(registry.listModels(ListModelsRequest.getDefaultInstance()).getModelsList())
                .extracting(Model::getId).contains(id);
    }

    @Test
    void promotionMovesTheAliasAndArchivesThePreviousVersion() {
        String id = newModel();
        addVersion(id, "1", 'a');
        addVersion(id, "2", 'b');
        promote(id, "1");

        promote(id, "2");

        ResolvedModel resolved = registry.resolveModel(ResolveModelRequest.newBuilder().setModelId(id)
                .setDeviceClass(DeviceClass.DEVICE_CLASS_CPU).build());
        assertThat(resolved.getVersion()).isEqualTo("2");
        assertThat(resolved.getVariant().getVariantId()).isEqualTo("cpu-q8");
        assertThat(resolved.getVariant().getSha256()).isEqualTo("b".repeat(64));
        assertThat(resolved.getModel().getVersionsList()).extracting(v -> v.getVersion() + ":" + v.getStage())
                .containsExactly("1:VERSION_STAGE_ARCHIVED", "2:VERSION_STAGE_PRODUCTION");
    }

    @Test
    void watchersHearOfAPromotionAsSoonAsItIsCommitted() throws InterruptedException {
        String id = newModel();
        addVersion(id, "1", 'a');
        addVersion(id, "2", 'b');
        promote(id, "1");
        BlockingQueue<ModelEvent> events = new LinkedBlockingQueue<>();
        var watch = io.grpc.Context.current().withCancellation();
        watch.run(() -> ModelRegistryGrpc.newStub(channel).watchModels(WatchModelsRequest.getDefaultInstance(), collect(events)));
        try {
            ModelEvent snapshot = next(events, e -> e.getModelId().equals(id));
            assertThat(snapshot.getKind()).isEqualTo(ModelChangeKind.MODEL_CHANGE_KIND_SNAPSHOT);
            assertThat(snapshot.getModel().getProductionVersion()).isEqualTo("1");

            promote(id, "2");

            ModelEvent promoted = next(events, e -> e.getModelId().equals(id) && e.getKind() == ModelChangeKind.MODEL_CHANGE_KIND_PROMOTED);
            assertThat(promoted.getVersion()).isEqualTo("2");
            assertThat(promoted.getModel().getArtifactsList()).allSatisfy(a -> assertThat(a.getVersion()).isEqualTo("2"));
            assertThat(promoted.getRevision()).isGreaterThan(snapshot.getRevision());
        } finally {
            watch.cancel(null);
        }
    }

    @Test
    void aWatcherIsToldWhenTheSnapshotIsCompleteSoThatItCanDropModelsDeletedMeanwhile() throws InterruptedException {
        String id = newModel();
        BlockingQueue<ModelEvent> events = new LinkedBlockingQueue<>();
        var watch = io.grpc.Context.current().withCancellation();
        watch.run(() -> ModelRegistryGrpc.newStub(channel).watchModels(WatchModelsRequest.getDefaultInstance(), collect(events)));
        try {
            java.util.List<String> sentBeforeTheEnd = new java.util.ArrayList<>();
            ModelEvent event = events.poll(10, java.util.concurrent.TimeUnit.SECONDS);
            for (int i = 0; i < 10_000 && event != null && event.getKind() == ModelChangeKind.MODEL_CHANGE_KIND_SNAPSHOT; i++) {
                sentBeforeTheEnd.add(event.getModelId());
                event = events.poll(10, java.util.concurrent.TimeUnit.SECONDS);
            }
            assertThat(event).isNotNull();
            assertThat(event.getKind()).isEqualTo(ModelChangeKind.MODEL_CHANGE_KIND_SNAPSHOT_END);
            assertThat(event.getModelId()).isEmpty();
            assertThat(event.hasModel()).isFalse();
            assertThat(sentBeforeTheEnd).contains(id).hasSize(store.snapshot().models().size());
        } finally {
            watch.cancel(null);
        }
    }

    @Test
    void changesCommittedByAnotherReplicaReachWatchersWithinThePollInterval() throws InterruptedException {
        String id = newModel();
        addVersion(id, "1", 'a');
        BlockingQueue<ModelEvent> events = new LinkedBlockingQueue<>();
        var watch = io.grpc.Context.current().withCancellation();
        watch.run(() -> ModelRegistryGrpc.newStub(channel).watchModels(WatchModelsRequest.getDefaultInstance(), collect(events)));
        try {
            next(events, e -> e.getModelId().equals(id));

            store.setStage(id, "1", dev.llmplatform.registry.domain.Stage.PRODUCTION);

            ModelEvent promoted = next(events, e -> e.getModelId().equals(id) && e.getKind() == ModelChangeKind.MODEL_CHANGE_KIND_PROMOTED);
            assertThat(promoted.getModel().getProductionVersion()).isEqualTo("1");
        } finally {
            watch.cancel(null);
        }
    }

    @Test
    void resolvingADeviceClassWithoutAVariantIsNotFound() {
        String id = newModel();
        registry.registerVersion(RegisterVersionRequest.newBuilder().setModelId(id).setVersion("1").build());
        operations.addVariant(id, "1", variant("cpu-q8", dev.llmplatform.registry.domain.DeviceClass.CPU, 'a'));
        promote(id, "1");

        assertStatus(() -> registry.resolveModel(ResolveModelRequest.newBuilder().setModelId(id)
                .setDeviceClass(DeviceClass.DEVICE_CLASS_GPU).build()), Status.Code.NOT_FOUND, "no variant for DEVICE_CLASS_GPU");
    }

    @Test
    void unknownModelIsNotFound() {
        assertStatus(() -> registry.getModel(GetModelRequest.newBuilder().setModelId("no-such-model").build()),
                Status.Code.NOT_FOUND, "'no-such-model' is not registered");
        assertStatus(() -> registry.registerVersion(RegisterVersionRequest.newBuilder().setModelId("no-such-model").setVersion("1").build()),
                Status.Code.NOT_FOUND, "'no-such-model' is not registered");
    }

    @Test
    void duplicatesAlreadyExist() {
        String id = newModel();
        registry.registerVersion(RegisterVersionRequest.newBuilder().setModelId(id).setVersion("1").build());

        assertStatus(() -> registry.registerModel(RegisterModelRequest.newBuilder().setModelId(id).build()),
                Status.Code.ALREADY_EXISTS, "already registered");
        assertStatus(() -> registry.registerVersion(RegisterVersionRequest.newBuilder().setModelId(id).setVersion("1").build()),
                Status.Code.ALREADY_EXISTS, "version '1'");
    }

    @Test
    void badInputIsInvalidArgument() {
        String id = newModel();
        registry.registerVersion(RegisterVersionRequest.newBuilder().setModelId(id).setVersion("1").build());

        assertStatus(() -> registry.getModel(GetModelRequest.getDefaultInstance()), Status.Code.INVALID_ARGUMENT, "model_id is required");
        assertStatus(() -> registry.registerModel(RegisterModelRequest.newBuilder().setModelId("bad id/with slash").build()),
                Status.Code.INVALID_ARGUMENT, "id must be");
        assertStatus(() -> registry.registerModel(RegisterModelRequest.newBuilder().setModelId("m-" + UUID.randomUUID()).setTask("painting").build()),
                Status.Code.INVALID_ARGUMENT, "expected one of chat, embedding");
        assertStatus(() -> registry.setVersionStage(SetVersionStageRequest.newBuilder().setModelId(id).setVersion("1").build()),
                Status.Code.INVALID_ARGUMENT, "stage is required");
        assertStatus(() -> registry.resolveModel(ResolveModelRequest.newBuilder().setModelId(id).build()),
                Status.Code.INVALID_ARGUMENT, "device_class is required");
        assertStatus(() -> promote(id, "1"), Status.Code.FAILED_PRECONDITION, "has no variants");
    }

    @Test
    void answersTheStandardHealthCheck() {
        HealthCheckResponse health = HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance());
        assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }

    private static void assertStatus(Runnable call, Status.Code code, String message) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(code);
            assertThat(e.getStatus().getDescription()).contains(message);
        });
    }

    private static ModelEvent next(BlockingQueue<ModelEvent> events, java.util.function.Predicate<ModelEvent> wanted) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            ModelEvent event = events.poll(100, TimeUnit.MILLISECONDS);
            if (event != null && wanted.test(event)) {
                return event;
            }
        }
        throw new AssertionError("no matching event within 10 s");
    }

    private static StreamObserver<ModelEvent> collect(BlockingQueue<ModelEvent> events) {
        return new StreamObserver<>() {
            @Override
            public void onNext(ModelEvent value) {
                events.add(value);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        };
    }
}

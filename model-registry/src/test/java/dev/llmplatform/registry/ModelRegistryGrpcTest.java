package dev.llmplatform.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.GetModelRequest;
import dev.llmplatform.proto.v1.ListModelsRequest;
import dev.llmplatform.proto.v1.Model;
import dev.llmplatform.proto.v1.ModelRegistryGrpc;
import dev.llmplatform.registry.domain.RegisteredModel;
import dev.llmplatform.registry.domain.RegisteredModel.Artifact;
import dev.llmplatform.registry.infra.ModelRepository;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
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
@SpringBootTest(properties = {"spring.grpc.server.port=0", "server.port=0", "registry.default-model.seed=false"})
class ModelRegistryGrpcTest {

    @org.junit.jupiter.api.BeforeAll
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
    ModelRepository repository;

    ManagedChannel channel;
    ModelRegistryGrpc.ModelRegistryBlockingStub registry;

    @BeforeEach
    void connect() {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
        registry = ModelRegistryGrpc.newBlockingStub(channel);
    }

    @AfterEach
    void disconnect() {
        channel.shutdownNow();
    }

    @Test
    void servesARegisteredModelWithItsArtifacts() {
        String id = "model-" + UUID.randomUUID();
        repository.save(new RegisteredModel(id, "acme", "a test model", "MIT", 4096, "{{ messages }}",
                Instant.now().truncatedTo(ChronoUnit.SECONDS),
                List.of(new Artifact("cpu-q8", "GGUF", "Q8_0", RegisteredModel.DeviceClass.CPU, "file:///m.gguf", "a".repeat(64), 123),
                        new Artifact("gpu-f16", "GGUF", "F16", RegisteredModel.DeviceClass.GPU, "file:///m16.gguf", "b".repeat(64), 456))));

        Model model = registry.getModel(GetModelRequest.newBuilder().setModelId(id).build());

        assertThat(model.getContextLength()).isEqualTo(4096);
        assertThat(model.getArtifactsList()).extracting(a -> a.getDeviceClass())
                .containsExactly(DeviceClass.DEVICE_CLASS_CPU, DeviceClass.DEVICE_CLASS_GPU);
        assertThat(registry.listModels(ListModelsRequest.getDefaultInstance()).getModelsList())
                .extracting(Model::getId).contains(id);
    }

    @Test
    void savingAgainReplacesTheArtifactInsteadOfDuplicatingIt() {
        String id = "model-" + UUID.randomUUID();
        var first = new RegisteredModel(id, "acme", "", "MIT", 512, "", Instant.now(),
                List.of(new Artifact("cpu", "GGUF", "F16", RegisteredModel.DeviceClass.CPU, "file:///a", "a".repeat(64), 1)));
        repository.save(first);
        repository.save(first.withArtifacts(List.of(
                new Artifact("cpu", "GGUF", "F16", RegisteredModel.DeviceClass.CPU, "file:///b", "c".repeat(64), 2))));

        assertThat(repository.findById(id).orElseThrow().artifacts())
                .singleElement().satisfies(a -> assertThat(a.sha256()).isEqualTo("c".repeat(64)));
    }

    @Test
    void unknownModelIsNotFound() {
        assertThatThrownBy(() -> registry.getModel(GetModelRequest.newBuilder().setModelId("no-such-model").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    void emptyModelIdIsInvalid() {
        assertThatThrownBy(() -> registry.getModel(GetModelRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    }

    @Test
    void answersTheStandardHealthCheck() {
        HealthCheckResponse health = HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance());
        assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }
}

package dev.llmplatform.worker.gpu.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.GetLoadRequest;
import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.LoadModelRequest;
import dev.llmplatform.proto.v1.LoadReport;
import dev.llmplatform.proto.v1.SamplingParams;
import dev.llmplatform.proto.v1.WatchLoadRequest;
import dev.llmplatform.proto.v1.WorkerGenerateRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.grpc.test.autoconfigure.LocalGrpcServerPort;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * The default: a GPU worker on a machine without a GPU starts, says why it cannot serve, and takes no work. Its load
 * report is not ready (the scheduler's WorkerPool places only on ready workers) and every work call is UNAVAILABLE.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "spring.grpc.server.port=0",
        "worker.nvidia-smi=/nonexistent/nvidia-smi",
        "worker.registry-target=static://127.0.0.1:1"})
class GpuWorkerWithoutGpuTest {

    @LocalGrpcServerPort
    int grpcPort;

    /** Health lives on the management port. */
    @org.springframework.boot.test.web.server.LocalManagementPort
    int managementPort;

    ManagedChannel channel;
    InferenceWorkerGrpc.InferenceWorkerBlockingStub worker;

    @BeforeEach
    void connect() {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
        worker = InferenceWorkerGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void disconnect() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void reportsItselfNotReadyWithTheReasonAndNoModels() {
        LoadReport report = worker.getLoad(GetLoadRequest.getDefaultInstance());

        assertThat(report.getDeviceClass()).isEqualTo(DeviceClass.DEVICE_CLASS_GPU);
        assertThat(report.getReady()).isFalse();
        assertThat(report.getNotReadyReason()).contains("no NVIDIA driver").contains("takes no work");
        assertThat(report.getModelsList()).isEmpty();
        assertThat(report.getSlots()).isZero();
        assertThat(report.getAcceleratorsList()).isEmpty();
    }

    @Test
    void theWatchStreamSaysTheSame() {
        LoadReport first = worker.watchLoad(WatchLoadRequest.newBuilder().setIntervalMillis(100).build()).next();

        assertThat(first.getReady()).isFalse();
        assertThat(first.getNotReadyReason()).contains("no NVIDIA driver");
    }

    @Test
    void refusesToGenerateOrLoadWithUnavailableAndTheReason() {
        var generate = WorkerGenerateRequest.newBuilder().setModel("tiny-kjv-chat").addPromptTokenIds(1)
                .setSampling(SamplingParams.newBuilder().setMaxTokens(4)).build();
        String model = Path.of("../models/tiny-kjv-chat/tiny-kjv-chat.gguf").toAbsolutePath().toUri().toString();

        assertThatThrownBy(() -> worker.generate(generate).forEachRemaining(chunk -> { }))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(e.getStatus().getDescription()).contains("not ready").contains("no NVIDIA driver");
                });
        assertThatThrownBy(() -> worker.loadModel(LoadModelRequest.newBuilder().setModel("tiny-kjv-chat").setArtifactUri(model).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }

    @Test
    void readinessProbeIsOutOfServiceWithoutDetailsForAnonymousCallers() throws Exception {
        try (var http = HttpClient.newHttpClient()) {
            var response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/actuator/health/readiness"))
                    .timeout(java.time.Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(503);
            // the reason is in the load report (above) and the log; the open probe tells nothing of the host
            assertThat(response.body()).contains("OUT_OF_SERVICE").doesNotContain("NVIDIA")
                    .as("no host paths on the health page").doesNotContain("/nonexistent").doesNotContain("llama-cuda");
        }
    }
}

package dev.llmplatform.worker.cpu.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.GetLoadRequest;
import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.LoadReport;
import dev.llmplatform.proto.v1.SamplingParams;
import dev.llmplatform.proto.v1.WorkerGenerateRequest;
import dev.llmplatform.worker.core.engine.PreviousEngine;
import dev.llmplatform.worker.core.infra.Backend;
import dev.llmplatform.worker.core.infra.WorkerDevice;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.grpc.test.autoconfigure.LocalGrpcServerPort;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The CPU worker as deployed: the shared worker core on llama.cpp's CPU build that its own build fetched, computing
 * on this processor (run on its own here, with a model file instead of a registry).
 */
@SpringBootTest(properties = {
        "spring.grpc.server.port=0",
        "server.port=0",
        "worker.worker-id=cpu-test",
        "worker.model-file=../models/tiny-kjv-chat/tiny-kjv-chat.gguf",
        "worker.slots=2",
        "worker.context-per-slot=256",
        "worker.threads=1"})
class CpuWorkerTest {

    @DynamicPropertySource
    static void natives(DynamicPropertyRegistry registry) {
        registry.add("worker.native-dir", () -> System.getProperty("llama.cpu.dir"));
    }

    @LocalGrpcServerPort
    int grpcPort;

    @Autowired
    WorkerDevice device;

    ManagedChannel channel;
    InferenceWorkerGrpc.InferenceWorkerBlockingStub worker;

    @BeforeEach
    void connect() {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
        worker = InferenceWorkerGrpc.newBlockingStub(channel);
    }

    @AfterEach
    void disconnect() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void computesOnThisProcessorWithLlamaCppsCpuBuildAndGivesThePreviousEnginesGreedyText() {
        var report = new AtomicReference<LoadReport>();
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
            report.set(worker.withDeadlineAfter(10, TimeUnit.SECONDS).getLoad(GetLoadRequest.getDefaultInstance()));
            return report.get().getReady();
        });

        assertThat(device.backend()).isInstanceOfSatisfying(Backend.Usable.class, usable -> {
            assertThat(usable.gpu()).isFalse();
            assertThat(usable.device()).startsWith("CPU: ");
        });
        assertThat(report.get().getDeviceClass()).isEqualTo(DeviceClass.DEVICE_CLASS_CPU);
        assertThat(report.get().getWorkerId()).isEqualTo("cpu-test");
        assertThat(report.get().getSlots()).isEqualTo(2);
        assertThat(report.get().getMaxWaiting()).isEqualTo(64);
        var text = new StringBuilder();
        worker.withDeadlineAfter(60, TimeUnit.SECONDS).generate(WorkerGenerateRequest.newBuilder().setModel("tiny-kjv-chat")
                        .addAllPromptTokenIds(Arrays.stream(PreviousEngine.PROMPT).boxed().toList())
                        .setSampling(SamplingParams.newBuilder().setMaxTokens(24)).build())
                .forEachRemaining(chunk -> text.append(chunk.getText()));
        assertThat(text).hasToString(PreviousEngine.GREEDY);
    }
}

package dev.llmplatform.worker.gpu.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.proto.v1.GetLoadRequest;
import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.LoadReport;
import io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.boot.grpc.test.autoconfigure.LocalGrpcServerPort;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** A worker run on its own (as on a lent GPU machine) loads the GGUF it is given and becomes ready without a registry. */
@SpringBootTest(properties = {
        "spring.grpc.server.port=0",
        "server.port=0",
        "worker.nvidia-smi=/nonexistent/nvidia-smi",
        "worker.allow-cpu-fallback=true",
        "worker.model-file=../models/tiny-kjv-chat/tiny-kjv-chat.gguf",
        "worker.slots=2",
        "worker.context-per-slot=256",
        "worker.threads=1"})
class GpuWorkerModelFileTest {

    @DynamicPropertySource
    static void natives(DynamicPropertyRegistry registry) {
        registry.add("worker.native-dir", () -> System.getProperty("llama.cuda.dir", "../.platform/native/llama-cuda/3.22.1"));
    }

    @LocalGrpcServerPort
    int grpcPort;

    @Test
    void loadsTheGivenModelFileAtStartAndBecomesReady() throws InterruptedException {
        var channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
        try {
            var worker = InferenceWorkerGrpc.newBlockingStub(channel);
            var report = new AtomicReference<LoadReport>();
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
                report.set(worker.withDeadlineAfter(10, TimeUnit.SECONDS).getLoad(GetLoadRequest.getDefaultInstance()));
                return report.get().getReady();
            });

            assertThat(report.get().getModelsList()).singleElement()
                    .satisfies(m -> assertThat(m.getId()).isEqualTo("tiny-kjv-chat"));
            assertThat(report.get().getSlots()).isEqualTo(2);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}

package dev.llmplatform.worker.gpu.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.proto.v1.Accelerator;
import dev.llmplatform.proto.v1.GetLoadRequest;
import dev.llmplatform.proto.v1.InferenceWorkerGrpc;
import dev.llmplatform.proto.v1.LoadReport;
import io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.grpc.test.autoconfigure.LocalGrpcServerPort;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A machine whose driver reports a GPU but where llama.cpp's CUDA back end cannot load (no CUDA 13 runtime on the
 * library path, as on this machine). The GPU stands in as an nvidia-smi double printing what an H100 prints. The
 * worker reports the GPU as its profile and in its metrics, and stays not ready with the reason, instead of
 * quietly serving from the CPU.
 */
@SpringBootTest(properties = {"spring.grpc.server.port=0", "server.port=0", "worker.registry-target=static://127.0.0.1:1"})
class GpuWorkerWithoutCudaRuntimeTest {

    @DynamicPropertySource
    static void fakeDriver(DynamicPropertyRegistry registry) {
        registry.add("worker.nvidia-smi", GpuWorkerWithoutCudaRuntimeTest::nvidiaSmiDouble);
        registry.add("worker.native-dir", () -> System.getProperty("llama.cuda.dir", "../.platform/native/llama-cuda/3.22.1"));
    }

    private static String nvidiaSmiDouble() {
        try {
            Path script = Files.createTempFile("nvidia-smi", ".sh",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Files.writeString(script, "#!/bin/sh\necho '0, NVIDIA H100 80GB HBM3, 81559, 1024, 37, 312.45'\n");
            script.toFile().deleteOnExit();
            return script.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @LocalGrpcServerPort
    int grpcPort;

    @Autowired
    MeterRegistry meters;

    @Test
    void reportsTheGpuAsItsProfileButStaysNotReadyAndSaysWhy() throws InterruptedException {
        var channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
        try {
            LoadReport report = InferenceWorkerGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .getLoad(GetLoadRequest.getDefaultInstance());

            assertThat(report.getReady()).isFalse();
            assertThat(report.getNotReadyReason()).contains("1 GPU(s) found").contains("CUDA back end did not load");
            assertThat(report.getAcceleratorsList()).containsExactly(Accelerator.newBuilder()
                    .setIndex(0).setName("NVIDIA H100 80GB HBM3")
                    .setMemoryTotalBytes(81559L * 1024 * 1024).setMemoryUsedBytes(1024L * 1024 * 1024)
                    .setUtilizationPercent(37).setPowerWatts(312.45).build());
            assertThat(report.getMemoryUsedBytes()).isEqualTo(1024L * 1024 * 1024);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        assertThat(meters.get("worker.gpu.utilization").tag("gpu", "0").gauge().value()).isEqualTo(0.37);
        assertThat(meters.get("worker.gpu.memory.used.bytes").tag("gpu", "0").gauge().value()).isEqualTo(1024.0 * 1024 * 1024);
        assertThat(meters.get("worker.gpu.power.watts").tag("gpu", "0").gauge().value()).isEqualTo(312.45);
    }
}

package dev.llmplatform.worker.gpu.infra;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.worker.gpu.config.GpuWorkerProperties;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class GpuProbeTest {

    @Test
    void parsesNvidiaSmiCsvIncludingFieldsTheDeviceDoesNotReport() {
        var gpus = GpuProbe.parse("""
                0, NVIDIA H100 80GB HBM3, 81559, 1024, 37, 312.45
                1, NVIDIA T4, 15360, 0, 0, [N/A]
                """);

        assertThat(gpus).containsExactly(
                new GpuProbe.Gpu(0, "NVIDIA H100 80GB HBM3", 81559, 1024, 37, 312.45),
                new GpuProbe.Gpu(1, "NVIDIA T4", 15360, 0, 0, 0));
    }

    @Test
    void aMachineWithoutTheDriverReportsWhyItHasNoGpu() {
        var probe = new GpuProbe(new GpuWorkerProperties("/nonexistent/nvidia-smi", false, Duration.ofSeconds(5)));

        assertThat(probe.discover()).isInstanceOfSatisfying(GpuProbe.Discovery.NotFound.class,
                notFound -> assertThat(notFound.reason()).contains("no NVIDIA driver"));
    }
}

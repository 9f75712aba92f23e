package dev.llmplatform.worker.gpu.infra;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.worker.core.config.WorkerProperties;
import dev.llmplatform.worker.core.infra.Backend;
import dev.llmplatform.worker.gpu.config.GpuWorkerProperties;
import java.time.Duration;
import java.util.Map;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** When the worker may compute, and on what; the reasons it gives when it may not. */
class GpuDeviceTest {

    static final Path NATIVES = Path.of(System.getProperty("llama.cuda.dir", "../.platform/native/llama-cuda/3.22.1"));
    static final GpuWorkerProperties NO_FALLBACK = new GpuWorkerProperties("nvidia-smi", false, Duration.ofSeconds(5));
    static final GpuWorkerProperties FALLBACK = new GpuWorkerProperties("nvidia-smi", true, Duration.ofSeconds(5));
    static final GpuProbe.Discovery NO_DRIVER = new GpuProbe.Discovery.NotFound("no NVIDIA driver on this machine (nvidia-smi not found)");

    /** The shared worker settings, bound the way Spring binds them, with the native build in {@code natives}. */
    static WorkerProperties worker(Path natives) {
        return new Binder(new MapConfigurationPropertySource(Map.of("worker.native-dir", natives.toString())))
                .bindOrCreate("worker", WorkerProperties.class);
    }

    @Test
    void withoutAGpuItIsUnusableByDefaultAndSaysWhy() {
        var choice = GpuDevice.choose(NO_DRIVER, NO_FALLBACK, worker(NATIVES));

        assertThat(choice).isInstanceOfSatisfying(Backend.Unusable.class,
                u -> assertThat(u.reason()).contains("no NVIDIA driver").contains("takes no work without a GPU"));
    }

    @Test
    void withoutAGpuTheExplicitFallbackRunsOnTheCpuBackEnd() {
        var choice = GpuDevice.choose(NO_DRIVER, FALLBACK, worker(NATIVES));

        assertThat(choice).isInstanceOfSatisfying(Backend.Usable.class, u -> {
            assertThat(u.gpu()).isFalse();
            assertThat(u.device()).startsWith("CPU fallback");
        });
    }

    @Test
    void aGpuWhoseCudaBackEndDoesNotLoadIsNotUsedSilentlyOnTheCpu() {
        // this machine has no CUDA runtime, so llama.cpp's CUDA back end fails to load, as it would on a GPU host
        // without libcudart/libcublas: the worker must say so rather than serve from the CPU
        var found = new GpuProbe.Discovery.Found(List.of(new GpuProbe.Gpu(0, "NVIDIA H100 80GB HBM3", 81559, 0, 0, 70)));

        var choice = GpuDevice.choose(found, NO_FALLBACK, worker(NATIVES));

        assertThat(choice).isInstanceOfSatisfying(Backend.Unusable.class,
                u -> assertThat(u.reason()).contains("1 GPU(s) found").contains("CUDA back end did not load").contains("libcudart.so.13"));
    }

    @Test
    void missingNativesAreNamedWithTheWayToGetThemButNotWithTheHostPath() {
        var choice = GpuDevice.choose(NO_DRIVER, FALLBACK, worker(Path.of("/nonexistent/natives")));

        assertThat(choice).isInstanceOfSatisfying(Backend.Unusable.class, u -> {
            assertThat(u.code()).isEqualTo("no-native-build");
            assertThat(u.reason()).contains("fetch-llama-cuda.sh").contains("worker.native-dir").doesNotContain("/nonexistent");
        });
    }
}

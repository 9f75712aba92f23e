package dev.llmplatform.worker.gpu.infra;

import dev.llmplatform.proto.v1.Accelerator;
import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.LoadReport;
import dev.llmplatform.worker.core.config.WorkerProperties;
import dev.llmplatform.worker.core.infra.Backend;
import dev.llmplatform.worker.core.infra.WorkerDevice;
import dev.llmplatform.worker.core.llama.LlamaLibrary;
import dev.llmplatform.worker.gpu.config.GpuWorkerProperties;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * This worker's device, decided once at start: llama.cpp's CUDA back end on the GPUs that nvidia-smi found, or (only
 * when explicitly allowed) llama.cpp's CPU back end. Otherwise it says why not, and the worker stays not ready with
 * that reason. Load reports carry the GPUs (accelerators) and their used memory.
 */
@Component
public class GpuDevice implements WorkerDevice {

    private static final Logger log = LoggerFactory.getLogger(GpuDevice.class);
    private static final long MIB = 1024L * 1024L;

    private final Backend backend;
    private final GpuTelemetry telemetry;

    public GpuDevice(GpuProbe probe, GpuTelemetry telemetry, GpuWorkerProperties gpu, WorkerProperties worker) {
        this.telemetry = telemetry;
        this.backend = choose(probe.discover(), gpu, worker);
        switch (backend) {
            case Backend.Usable usable -> log.info("Computing on {}", usable.device());
            case Backend.Unusable unusable -> log.warn("Not ready, and staying so ({}): {} (worker.native-dir: {})",
                    unusable.code(), unusable.reason(), worker.nativeDir().toAbsolutePath());
        }
    }

    static Backend choose(GpuProbe.Discovery discovery, GpuWorkerProperties gpu, WorkerProperties worker) {
        if (discovery instanceof GpuProbe.Discovery.NotFound(String reason) && !gpu.allowCpuFallback()) {
            return new Backend.Unusable("no-gpu", reason + "; a GPU worker takes no work without a GPU");
        }
        return Backend.open(worker.nativeDir(), "tools/gpu/fetch-llama-cuda.sh", library -> {
            var gpus = library.devices().stream().filter(LlamaLibrary.Device::isGpu).toList();
            if (!gpus.isEmpty()) {
                return new Backend.Usable(library, "CUDA: " + gpus.stream().map(LlamaLibrary.Device::description).toList(), true);
            }
            if (gpu.allowCpuFallback()) {
                return new Backend.Usable(library, "CPU fallback (worker.allow-cpu-fallback=true): " + library.systemInfo(), false);
            }
            return new Backend.Unusable("no-cuda-runtime", ((GpuProbe.Discovery.Found) discovery).gpus().size()
                    + " GPU(s) found, but llama.cpp's CUDA back end did not load (it needs libcudart.so.13, libcublas.so.13 "
                    + "and libcuda.so.1 on the library path; see docs/gpu-worker.md)");
        });
    }

    @Override
    public DeviceClass deviceClass() {
        return DeviceClass.DEVICE_CLASS_GPU;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    /** The GPU variant where there is one, else the CPU GGUF (the same format; llama.cpp offloads its layers). */
    @Override
    public List<DeviceClass> artifactClasses() {
        return List.of(DeviceClass.DEVICE_CLASS_GPU, DeviceClass.DEVICE_CLASS_CPU);
    }

    /** The GPUs as nvidia-smi last read them; the worker's memory is theirs in use. */
    @Override
    public void describe(LoadReport.Builder report, long kvCapacityTokensPerModel) {
        long memoryUsed = 0;
        for (GpuProbe.Gpu gpu : telemetry.gpus()) {
            memoryUsed += gpu.memoryUsedMib() * MIB;
            report.addAccelerators(Accelerator.newBuilder()
                    .setIndex(gpu.index())
                    .setName(gpu.name())
                    .setMemoryTotalBytes(gpu.memoryTotalMib() * MIB)
                    .setMemoryUsedBytes(gpu.memoryUsedMib() * MIB)
                    .setUtilizationPercent(gpu.utilisationPercent())
                    .setPowerWatts(gpu.powerWatts()));
        }
        report.setMemoryUsedBytes(memoryUsed);
    }

    @Override
    public Map<String, Object> healthDetails() {
        return Map.of("gpus", telemetry.gpus());
    }
}

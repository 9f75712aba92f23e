package dev.llmplatform.worker.cpu.infra;

import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.LoadReport;
import dev.llmplatform.worker.core.config.WorkerProperties;
import dev.llmplatform.worker.core.infra.Backend;
import dev.llmplatform.worker.core.infra.ModelMemory;
import dev.llmplatform.worker.core.infra.WorkerDevice;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * This worker's device: the processor, through llama.cpp's CPU build (npm {@code @node-llama-cpp/linux-x64}, fetched
 * and checksum-verified by the build into {@code worker.native-dir}). The build ships one ggml-cpu back end per x86
 * level, sse42 to sapphirerapids and zen4; ggml loads the best one this processor runs, which the device names.
 */
@Component
public class CpuDevice implements WorkerDevice {

    private static final Logger log = LoggerFactory.getLogger(CpuDevice.class);

    private final Backend backend;
    private final ModelMemory memory = new ModelMemory();

    public CpuDevice(WorkerProperties properties) {
        this.backend = Backend.open(properties.nativeDir(), "tools/llama/fetch-llama.sh tools/llama/llama-cpu.lock",
                library -> new Backend.Usable(library, "CPU: " + library.systemInfo().strip(), false));
        switch (backend) {
            case Backend.Usable usable -> log.info("Computing on {}", usable.device());
            case Backend.Unusable unusable -> log.warn("Not ready, and staying so ({}): {} (worker.native-dir: {})",
                    unusable.code(), unusable.reason(), properties.nativeDir().toAbsolutePath());
        }
    }

    @Override
    public DeviceClass deviceClass() {
        return DeviceClass.DEVICE_CLASS_CPU;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public List<DeviceClass> artifactClasses() {
        return List.of(DeviceClass.DEVICE_CLASS_CPU);
    }

    /** The mapped weights plus the KV caches: what the loaded models hold of this machine's memory. */
    @Override
    public void describe(LoadReport.Builder report, long kvCapacityTokens) {
        long models = Math.max(1, report.getModelsCount());
        report.setMemoryUsedBytes(memory.bytes(kvCapacityTokens / models));
    }
}

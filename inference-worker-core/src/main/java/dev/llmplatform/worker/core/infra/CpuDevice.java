package dev.llmplatform.worker.core.infra;

import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.LoadReport;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processor, through llama.cpp's CPU build (npm {@code @node-llama-cpp/linux-x64}, fetched and checksum-verified
 * by the CPU worker's build). The build ships one ggml-cpu back end per x86 level, sse42 to sapphirerapids and zen4;
 * ggml loads the best one this processor runs, which the device names.
 */
public final class CpuDevice implements WorkerDevice {

    private static final Logger log = LoggerFactory.getLogger(CpuDevice.class);

    private final Backend backend;
    private final ModelMemory memory = new ModelMemory();

    /** @param nativeDir the folder holding llama.cpp's CPU build */
    public CpuDevice(Path nativeDir) {
        this.backend = Backend.open(nativeDir, "tools/llama/fetch-llama.sh tools/llama/llama-cpu.lock",
                library -> new Backend.Usable(library, "CPU: " + library.systemInfo().strip(), false));
        switch (backend) {
            case Backend.Usable usable -> log.info("Computing on {}", usable.device());
            case Backend.Unusable unusable -> log.warn("Not ready, and staying so ({}): {} (worker.native-dir: {})",
                    unusable.code(), unusable.reason(), nativeDir.toAbsolutePath());
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
    public void describe(LoadReport.Builder report, long kvCapacityTokensPerModel) {
        report.setMemoryUsedBytes(memory.bytes(kvCapacityTokensPerModel));
    }
}

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
 * ggml loads the best one this processor runs, which the device names. Where a build of the same release compiled on
 * this host for its processor is present ({@link HostBuild}), that one is used instead: it decodes batches faster.
 */
public final class CpuDevice implements WorkerDevice {

    private static final Logger log = LoggerFactory.getLogger(CpuDevice.class);

    private final Backend backend;
    private final ModelMemory memory = new ModelMemory();

    /** @param nativeDir the folder holding llama.cpp's prebuilt CPU build */
    public CpuDevice(Path nativeDir) {
        this(nativeDir, null);
    }

    /**
     * @param nativeDir    the folder holding llama.cpp's prebuilt CPU build
     * @param hostBuildDir the folder of a build made on this host (tools/llama/build-llama-native.sh), used instead
     *                     when it was made for this processor; null for none
     */
    public CpuDevice(Path nativeDir, Path hostBuildDir) {
        Path hostBuild = hostBuildDir == null ? null : HostBuild.forThisProcessor(hostBuildDir).orElse(null);
        Path chosen = hostBuild != null ? hostBuild : nativeDir;
        String kind = hostBuild != null ? "CPU (built on this host): " : "CPU: ";
        this.backend = Backend.open(chosen, "tools/llama/fetch-llama.sh tools/llama/llama-cpu.lock",
                library -> new Backend.Usable(library, kind + library.systemInfo().strip(), false));
        switch (backend) {
            case Backend.Usable usable -> log.info("Computing on {}", usable.device());
            case Backend.Unusable unusable -> log.warn("Not ready, and staying so ({}): {} (worker.native-dir: {})",
                    unusable.code(), unusable.reason(), chosen.toAbsolutePath());
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

package dev.llmplatform.worker.core.infra;

import dev.llmplatform.proto.v1.DeviceClass;
import dev.llmplatform.proto.v1.LoadReport;
import dev.llmplatform.worker.core.llama.LlamaLibrary;
import java.nio.file.Path;
import java.util.List;

/** The real llama.cpp CPU build the module's build fetched (tools/llama/llama-cpu.lock), as a worker device for tests. */
public final class CpuBuild implements WorkerDevice {

    public static final Path NATIVES = Path.of(System.getProperty("llama.cpu.dir", "../.platform/native/llama-cpu/3.22.1"));
    public static final Path GGUF = Path.of(System.getProperty("platform.model", "../models/tiny-kjv-chat/tiny-kjv-chat.gguf"))
            .toAbsolutePath().normalize();

    public static LlamaLibrary library() {
        return LlamaLibrary.load(NATIVES);
    }

    private final Backend backend = new Backend.Usable(library(), "CPU", false);

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

    @Override
    public void describe(LoadReport.Builder report, long kvCapacityTokens) {
        report.setMemoryUsedBytes(new ModelMemory().bytes(kvCapacityTokens));
    }
}

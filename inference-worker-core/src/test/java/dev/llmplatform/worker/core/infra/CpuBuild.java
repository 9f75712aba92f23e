package dev.llmplatform.worker.core.infra;

import dev.llmplatform.worker.core.llama.LlamaLibrary;
import java.nio.file.Path;

/** The real llama.cpp CPU build the module's build fetched (tools/llama/llama-cpu.lock), and the default model. */
public final class CpuBuild {

    public static final Path NATIVES = Path.of(System.getProperty("llama.cpu.dir", "../.platform/native/llama-cpu/3.22.1"));
    public static final Path GGUF = Path.of(System.getProperty("platform.model", "../models/tiny-kjv-chat/tiny-kjv-chat.gguf"))
            .toAbsolutePath().normalize();

    private CpuBuild() {
    }

    public static LlamaLibrary library() {
        return LlamaLibrary.load(NATIVES);
    }

    /** The device the CPU worker runs on, from this build. */
    public static CpuDevice device() {
        return new CpuDevice(NATIVES);
    }
}

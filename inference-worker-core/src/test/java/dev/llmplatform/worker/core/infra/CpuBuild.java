package dev.llmplatform.worker.core.infra;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.llmplatform.worker.core.llama.LlamaLibrary;
import java.nio.file.Path;

/**
 * The real llama.cpp CPU build the tests run on, and the default model: the prebuilt the module's build fetched
 * (tools/llama/llama-cpu.lock), or, in the surefire run {@code host-build}, the same release compiled on this host
 * (tools/llama/build-llama-native.sh); that run skips its tests where the module's build made no host build.
 */
public final class CpuBuild {

    public static final Path NATIVES = Path.of(System.getProperty("llama.cpu.dir", "../.platform/native/llama-cpu/3.22.1"));
    public static final Path GGUF = Path.of(System.getProperty("platform.model", "../models/tiny-kjv-chat/tiny-kjv-chat.gguf"))
            .toAbsolutePath().normalize();
    private static final boolean HOST_BUILD = Boolean.getBoolean("llama.cpu.host-build");

    private CpuBuild() {
    }

    public static LlamaLibrary library() {
        assumeBuildPresent();
        return LlamaLibrary.load(NATIVES);
    }

    /** The device the CPU worker runs on, from this build. */
    public static CpuDevice device() {
        assumeBuildPresent();
        return new CpuDevice(NATIVES);
    }

    private static void assumeBuildPresent() {
        if (HOST_BUILD) {
            assumeTrue(HostBuild.forThisProcessor(NATIVES).isPresent(),
                    "no llama.cpp host build for this processor in " + NATIVES + " (tools/llama/build-llama-native.sh)");
        }
    }
}

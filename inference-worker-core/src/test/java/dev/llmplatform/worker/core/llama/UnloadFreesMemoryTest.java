package dev.llmplatform.worker.core.llama;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.worker.core.infra.CpuBuild;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Unloading a model gives its memory back: context, KV cache, weights and the file's mapping. */
class UnloadFreesMemoryTest {

    private static final LlamaContext.Settings SETTINGS = new LlamaContext.Settings(0, 4, 512, 64, 1);

    @Test
    void residentMemoryReturnsToWithinTenPercentAfterRepeatedLoadsAndUnloads() throws Exception {
        var library = CpuBuild.library();
        // two rounds first, so that what stays for good (ggml's back-end registry, loaded classes, the JIT) is in the baseline
        loadUseAndUnload(library);
        loadUseAndUnload(library);
        long before = residentBytes();

        long loaded = 0;
        for (int round = 0; round < 5; round++) {
            loaded = Math.max(loaded, loadUseAndUnload(library));
        }
        long after = residentBytes();

        assertThat(mappedModelFiles()).as("the GGUF is unmapped").isZero();
        assertThat(loaded).as("a loaded model is resident").isGreaterThan(before);
        assertThat((double) after).as("VmRSS after 5 loads and unloads vs before (%d bytes)", before)
                .isLessThanOrEqualTo(before * 1.10);
    }

    /** Returns the resident memory while loaded. */
    private static long loadUseAndUnload(LlamaLibrary library) throws IOException {
        try (var context = new LlamaContext(library, CpuBuild.GGUF, SETTINGS)) {
            context.tokenize("In the beginning");
            return residentBytes();
        }
    }

    /** VmRSS of this process, from /proc/self/status. */
    private static long residentBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    private static long mappedModelFiles() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.endsWith(".gguf")).count();
    }
}

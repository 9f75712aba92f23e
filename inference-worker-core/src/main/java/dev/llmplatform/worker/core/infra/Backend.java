package dev.llmplatform.worker.core.infra;

import dev.llmplatform.worker.core.llama.LlamaLibrary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What the worker computes on, or why it cannot. Decided once, at start, by the deployable's device probe. */
public sealed interface Backend {

    /** @param device what runs the model, in words ("CUDA: NVIDIA H100 80GB HBM3", "CPU: AVX2 = 1 | ...") */
    record Usable(LlamaLibrary library, String device, boolean gpu) implements Backend {
    }

    /**
     * @param code   what is missing, for machines: {@code no-gpu}, {@code no-native-build}, {@code native-load-failed},
     *               {@code no-cuda-runtime}
     * @param reason the same in words, without host paths (it is shown on the health page and in load reports; the
     *               paths are in the worker's log)
     */
    record Unusable(String code, String reason) implements Backend {
    }

    /**
     * Loads llama.cpp from {@code nativeDir} and lets {@code choose} decide on the library; unusable when the folder
     * is missing or its libraries do not load.
     *
     * @param fetch how to fill the folder, for the reason ("tools/llama/fetch-llama.sh tools/llama/llama-cpu.lock")
     */
    static Backend open(Path nativeDir, String fetch, Function<LlamaLibrary, Backend> choose) {
        Logger log = LoggerFactory.getLogger(Backend.class);
        if (!Files.isDirectory(nativeDir)) {
            log.warn("No llama.cpp build in {}", nativeDir.toAbsolutePath());
            return new Unusable("no-native-build", "the llama.cpp build is not in worker.native-dir (build the module, or run "
                    + fetch + ")");
        }
        try {
            return choose.apply(LlamaLibrary.load(nativeDir));
        } catch (RuntimeException e) {
            log.warn("Cannot load llama.cpp from {}", nativeDir.toAbsolutePath(), e);
            return new Unusable("native-load-failed", "cannot load llama.cpp from worker.native-dir (see the worker's log)");
        }
    }
}

package dev.llmplatform.worker.gpu.infra;

import dev.llmplatform.worker.gpu.config.GpuWorkerProperties;
import dev.llmplatform.worker.gpu.llama.LlamaLibrary;
import java.nio.file.Files;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Decides once, at start, whether this worker can compute and on what: llama.cpp's CUDA back end on the GPUs that
 * nvidia-smi found, or (only when explicitly allowed) llama.cpp's CPU back end. Otherwise it says why not, and the
 * worker stays not ready with that reason.
 */
@Component
public class ComputeBackend {

    private static final Logger log = LoggerFactory.getLogger(ComputeBackend.class);

    /** What the worker computes on, or why it cannot. */
    public sealed interface Choice {
        /** @param device what runs the model, in words ("CUDA: NVIDIA H100 80GB HBM3" or "CPU fallback: ...") */
        record Usable(LlamaLibrary library, String device, boolean gpu) implements Choice {
        }

        /**
         * @param code   what is missing, for machines: {@code no-gpu}, {@code no-native-build},
         *               {@code native-load-failed}, {@code no-cuda-runtime}
         * @param reason the same in words, without host paths (it is shown on the health page and in load reports;
         *               the paths are in the worker's log)
         */
        record Unusable(String code, String reason) implements Choice {
        }
    }

    private final Choice choice;

    public ComputeBackend(GpuProbe probe, GpuWorkerProperties properties) {
        this.choice = choose(probe.discover(), properties);
        switch (choice) {
            case Choice.Usable usable -> log.info("Computing on {}", usable.device());
            case Choice.Unusable unusable -> log.warn("Not ready, and staying so ({}): {} (worker.native-dir: {})",
                    unusable.code(), unusable.reason(), properties.nativeDir().toAbsolutePath());
        }
    }

    public Choice choice() {
        return choice;
    }

    static Choice choose(GpuProbe.Discovery discovery, GpuWorkerProperties properties) {
        if (discovery instanceof GpuProbe.Discovery.NotFound(String reason) && !properties.allowCpuFallback()) {
            return new Choice.Unusable("no-gpu", reason + "; a GPU worker takes no work without a GPU");
        }
        if (!Files.isDirectory(properties.nativeDir())) {
            return new Choice.Unusable("no-native-build", "the llama.cpp CUDA build is not in worker.native-dir"
                    + " (build the module, or run tools/gpu/fetch-llama-cuda.sh)");
        }
        LlamaLibrary library;
        try {
            library = LlamaLibrary.load(properties.nativeDir());
        } catch (RuntimeException e) {
            log.warn("Cannot load llama.cpp from {}", properties.nativeDir().toAbsolutePath(), e);
            return new Choice.Unusable("native-load-failed", "cannot load llama.cpp from worker.native-dir (see the worker's log)");
        }
        var gpus = library.devices().stream().filter(LlamaLibrary.Device::isGpu).toList();
        if (!gpus.isEmpty()) {
            return new Choice.Usable(library, "CUDA: " + gpus.stream().map(LlamaLibrary.Device::description).toList(), true);
        }
        if (properties.allowCpuFallback()) {
            return new Choice.Usable(library, "CPU fallback (worker.allow-cpu-fallback=true): " + library.systemInfo(), false);
        }
        return new Choice.Unusable("no-cuda-runtime", ((GpuProbe.Discovery.Found) discovery).gpus().size()
                + " GPU(s) found, but llama.cpp's CUDA back end did not load (it needs libcudart.so.13, libcublas.so.13 "
                + "and libcuda.so.1 on the library path; see docs/gpu-worker.md)");
    }
}

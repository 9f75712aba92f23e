package dev.llmplatform.worker.gpu.config;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param workerId           how the scheduler names this worker
 * @param nvidiaSmi          the nvidia-smi executable used for device discovery and telemetry
 * @param registryTarget     gRPC target of the model registry, whose models this worker loads at start
 * @param nativeDir          folder holding the llama.cpp CUDA build (tools/gpu/fetch-llama-cuda.sh fills it at build time)
 * @param allowCpuFallback   serve on llama.cpp's CPU back end when no GPU is usable. Off by default: a GPU worker
 *                           without a GPU must say so and take no work; tests and demos on GPU-less machines turn it on
 * @param gpuLayers          layers offloaded to the GPU; -1 means all of them
 * @param slots              sequences decoded together in one batch (continuous batching)
 * @param contextPerSlot     tokens of KV cache each sequence may use (prompt plus output), capped by the model's own
 * @param batchTokens        tokens one decode step may hold (running sequences' next tokens plus prompt chunks)
 * @param threads            CPU threads llama.cpp uses for what stays on the CPU; 0 lets llama.cpp choose
 * @param maxWaiting         requests allowed to wait for a free slot before new ones are refused
 * @param loadRetryInterval  how long to wait before asking the registry again when it is not up yet
 * @param telemetryInterval  how often GPU utilisation, memory and power are read
 * @param modelFile          a GGUF to load at start instead of asking the registry (a worker run on its own, e.g.
 *                           on a lent GPU machine); its file name without .gguf is the model id
 */
@ConfigurationProperties("worker")
public record GpuWorkerProperties(
        @DefaultValue("gpu-0") String workerId,
        @DefaultValue("nvidia-smi") String nvidiaSmi,
        @DefaultValue("static://127.0.0.1:9091") String registryTarget,
        @DefaultValue(".platform/native/llama-cuda/3.22.1") Path nativeDir,
        @DefaultValue("false") boolean allowCpuFallback,
        @DefaultValue("-1") int gpuLayers,
        @DefaultValue("16") int slots,
        @DefaultValue("1024") int contextPerSlot,
        @DefaultValue("512") int batchTokens,
        @DefaultValue("0") int threads,
        @DefaultValue("256") int maxWaiting,
        @DefaultValue("2s") Duration loadRetryInterval,
        @DefaultValue("5s") Duration telemetryInterval,
        Path modelFile) {

    /** Settings for tests and tools: defaults everywhere except the names given. */
    public static GpuWorkerProperties of(String workerId, String nvidiaSmi, Path nativeDir, boolean allowCpuFallback) {
        return new GpuWorkerProperties(workerId, nvidiaSmi, "static://127.0.0.1:9091", nativeDir, allowCpuFallback,
                -1, 4, 256, 256, 1, 16, Duration.ofSeconds(2), Duration.ofSeconds(5), null);
    }
}

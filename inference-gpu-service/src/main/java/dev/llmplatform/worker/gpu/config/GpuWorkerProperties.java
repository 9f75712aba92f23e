package dev.llmplatform.worker.gpu.config;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * What only the GPU worker reads, beside the shared worker settings (WorkerProperties, same prefix).
 *
 * @param nvidiaSmi         the nvidia-smi executable used for device discovery and telemetry
 * @param allowCpuFallback  serve on llama.cpp's CPU back end when no GPU is usable. Off by default: a GPU worker
 *                          without a GPU must say so and take no work; tests and demos on GPU-less machines turn it on
 * @param telemetryInterval how often GPU utilisation, memory and power are read
 */
@ConfigurationProperties("worker")
public record GpuWorkerProperties(
        @DefaultValue("nvidia-smi") String nvidiaSmi,
        @DefaultValue("false") boolean allowCpuFallback,
        @DefaultValue("5s") Duration telemetryInterval) {
}

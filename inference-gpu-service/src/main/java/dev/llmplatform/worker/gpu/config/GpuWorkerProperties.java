package dev.llmplatform.worker.gpu.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param workerId  how the scheduler names this worker
 * @param nvidiaSmi the nvidia-smi executable used for device discovery
 */
@ConfigurationProperties("worker")
public record GpuWorkerProperties(
        @DefaultValue("gpu-0") String workerId,
        @DefaultValue("nvidia-smi") String nvidiaSmi) {
}

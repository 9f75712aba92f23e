package dev.llmplatform.worker.cpu.config;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param workerId         how the scheduler names this worker in placements and metrics
 * @param registryTarget   gRPC target of the model registry, whose CPU artifacts this worker loads at start
 * @param threads          llama.cpp compute threads; 0 means one per available core
 * @param slots            sequences decoded together in one batch (continuous batching)
 * @param contextPerSlot   tokens of KV cache each sequence may use (prompt plus output)
 * @param maxWaiting       requests allowed to wait for a free slot before new ones are refused
 * @param loadRetryInterval how long to wait before asking the registry again when it is not up yet
 */
@ConfigurationProperties("worker")
public record WorkerProperties(
        @DefaultValue("cpu-0") String workerId,
        @DefaultValue("static://127.0.0.1:9091") String registryTarget,
        @DefaultValue("0") int threads,
        @DefaultValue("8") int slots,
        @DefaultValue("512") int contextPerSlot,
        @DefaultValue("64") int maxWaiting,
        @DefaultValue("2s") Duration loadRetryInterval) {

    public int effectiveThreads() {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }
}

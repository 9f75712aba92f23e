package dev.llmplatform.worker.gpu.config;

import dev.llmplatform.worker.core.domain.LoadedModels;
import dev.llmplatform.worker.core.infra.ModelLoader;
import dev.llmplatform.worker.core.infra.WorkerDevice;
import dev.llmplatform.worker.core.infra.WorkerReadiness;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class GpuWorkerConfiguration {

    /** Part of readiness ("gpu" in application.yml): up only with a usable device and a model loaded. */
    @Bean("gpu")
    WorkerReadiness gpuHealthIndicator(WorkerDevice device, ModelLoader loader, LoadedModels models) {
        return new WorkerReadiness(device, loader, models);
    }
}

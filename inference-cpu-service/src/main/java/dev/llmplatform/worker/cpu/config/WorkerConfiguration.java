package dev.llmplatform.worker.cpu.config;

import dev.llmplatform.worker.core.config.WorkerProperties;
import dev.llmplatform.worker.core.domain.LoadedModels;
import dev.llmplatform.worker.core.infra.CpuDevice;
import dev.llmplatform.worker.core.infra.ModelLoader;
import dev.llmplatform.worker.core.infra.WorkerDevice;
import dev.llmplatform.worker.core.infra.WorkerReadiness;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class WorkerConfiguration {

    /**
     * This worker computes on the processor, with llama.cpp's CPU build from worker.native-dir, or the build made on
     * this host in worker.host-build-dir when there is one for this processor.
     */
    @Bean
    CpuDevice cpuDevice(WorkerProperties properties) {
        return new CpuDevice(properties.nativeDir(), properties.hostBuildDir());
    }

    /** Part of readiness ("models" in application.yml): a worker without a loaded model must get no traffic. */
    @Bean("models")
    WorkerReadiness modelsHealthIndicator(WorkerDevice device, ModelLoader loader, LoadedModels models) {
        return new WorkerReadiness(device, loader, models);
    }
}

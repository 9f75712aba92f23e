package dev.llmplatform.worker.gpu.config;

import dev.llmplatform.worker.gpu.domain.LoadedModels;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class GpuWorkerConfiguration {

    /** Closing frees the models' GPU memory (llama.cpp contexts, weights and KV caches). */
    @Bean(destroyMethod = "close")
    LoadedModels loadedModels() {
        return new LoadedModels();
    }
}

package dev.llmplatform.worker.cpu.config;

import dev.llmplatform.worker.cpu.domain.LoadedEmbeddingModels;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class EmbeddingConfiguration {

    @Bean(destroyMethod = "close")
    LoadedEmbeddingModels loadedEmbeddingModels() {
        return new LoadedEmbeddingModels();
    }
}

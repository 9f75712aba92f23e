package dev.llmplatform.worker.cpu.config;

import dev.llmplatform.worker.cpu.domain.LoadTracker;
import dev.llmplatform.worker.cpu.domain.LoadedModels;
import dev.llmplatform.worker.cpu.infra.ModelLoader;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class WorkerConfiguration {

    @Bean(destroyMethod = "close")
    LoadedModels loadedModels() {
        return new LoadedModels();
    }

    @Bean
    LoadTracker loadTracker(WorkerProperties properties) {
        return new LoadTracker(properties.slots());
    }

    /** Part of readiness: a worker without a loaded model must get no traffic. */
    @Bean
    HealthIndicator modelsHealthIndicator(LoadedModels models, ModelLoader loader) {
        return () -> models.isEmpty()
                ? Health.outOfService().withDetail("reason", loader.notReadyReason()).build()
                : Health.up().withDetail("models", models.all().stream().map(e -> e.engine().modelId()).toList()).build();
    }

    /** Generation blocks in native code for its whole length, so each sequence gets a platform thread of its own. */
    @Bean(destroyMethod = "shutdownNow")
    ExecutorService generationExecutor() {
        return Executors.newThreadPerTaskExecutor(Thread.ofPlatform().name("generate-", 0).daemon(true).factory());
    }
}

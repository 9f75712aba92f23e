package dev.llmplatform.scheduler.config;

import dev.llmplatform.scheduler.domain.LeastLoadedSelector;
import dev.llmplatform.scheduler.domain.WorkerSelector;
import dev.llmplatform.scheduler.domain.WorkerSnapshot;
import dev.llmplatform.scheduler.infra.WorkerPool;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class SchedulerConfiguration {

    @Bean
    WorkerSelector workerSelector() {
        return new LeastLoadedSelector();
    }

    /** Part of readiness: a scheduler without a single ready worker cannot serve anything. */
    @Bean
    HealthIndicator workersHealthIndicator(WorkerPool pool) {
        return () -> {
            var workers = pool.snapshot();
            long ready = workers.stream().filter(WorkerSnapshot::ready).count();
            var health = ready > 0 ? Health.up() : Health.outOfService();
            workers.forEach(w -> health.withDetail(w.id(), w.ready() ? "ready" : "not ready"));
            return health.build();
        };
    }
}

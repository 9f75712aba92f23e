package dev.llmplatform.scheduler.config;

import dev.llmplatform.scheduler.domain.AffinityIndex;
import dev.llmplatform.scheduler.domain.OutputLengths;
import dev.llmplatform.scheduler.domain.PlacementPolicies;
import dev.llmplatform.scheduler.infra.PooledWorker;
import dev.llmplatform.scheduler.infra.WorkerPool;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class SchedulerConfiguration {

    @Bean
    PlacementPolicies placementPolicies(SchedulerProperties properties) {
        return PlacementPolicies.standard(properties.placement().policy(), properties.placement().balancedTimeWeight());
    }

    @Bean
    AffinityIndex affinityIndex(SchedulerProperties properties) {
        return new AffinityIndex(properties.placement().affinityBlockTokens(), properties.placement().affinityEntries());
    }

    @Bean
    OutputLengths outputLengths(SchedulerProperties properties) {
        return new OutputLengths(!"max-tokens".equals(properties.placement().outputEstimate()),
                properties.placement().speedSmoothing());
    }

    /** One breaker per worker, named by its id; their state is exported as resilience4j_circuitbreaker_state. */
    @Bean
    CircuitBreakerRegistry workerBreakers(SchedulerProperties properties, MeterRegistry meters) {
        var b = properties.breaker();
        var registry = CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(b.slidingWindowSize())
                .minimumNumberOfCalls(b.minimumNumberOfCalls())
                .failureRateThreshold(b.failureRateThreshold())
                .waitDurationInOpenState(b.waitInOpenState())
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                .permittedNumberOfCallsInHalfOpenState(b.probesInHalfOpenState())
                .build());
        TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(registry).bindTo(meters);
        return registry;
    }

    /** Part of readiness: a scheduler without a single available worker cannot serve anything. */
    @Bean
    HealthIndicator workersHealthIndicator(WorkerPool pool) {
        return () -> {
            var workers = pool.workers();
            long available = workers.stream().filter(PooledWorker::available).count();
            var health = available > 0 ? Health.up() : Health.outOfService();
            workers.forEach(w -> health.withDetail(w.id(), w.available() ? "available"
                    : "not available (ready=" + w.report().getReady() + ", breaker=" + w.breaker().getState() + ")"));
            return health.build();
        };
    }
}

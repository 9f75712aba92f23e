package dev.llmplatform.tokenizer.config;

import dev.llmplatform.tokenizer.domain.Tokenizers;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class TokenizerConfiguration {

    /** Part of readiness: without a loaded tokenizer every call would be NOT_FOUND. */
    @Bean
    HealthIndicator tokenizersHealthIndicator(Tokenizers tokenizers) {
        return () -> tokenizers.isEmpty()
                ? Health.outOfService().withDetail("reason", "no tokenizer loaded yet (waiting for the registry)").build()
                : Health.up().withDetail("models", tokenizers.models()).build();
    }
}

package dev.llmplatform.tokenizer.config;

import dev.llmplatform.commons.artifacts.ArtifactCache;
import dev.llmplatform.commons.artifacts.ArtifactCacheMetrics;
import dev.llmplatform.commons.artifacts.ArtifactCacheProperties;
import dev.llmplatform.tokenizer.domain.Tokenizers;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(ArtifactCacheProperties.class)
class TokenizerConfiguration {

    /** Where s3:// and https:// GGUFs are fetched to, as on the workers; file: artifacts are read in place. */
    @Bean(destroyMethod = "close")
    ArtifactCache artifactCache(ArtifactCacheProperties properties, MeterRegistry meters) {
        return ArtifactCacheMetrics.bind(new ArtifactCache(properties), meters);
    }

    /** Part of readiness: without a loaded tokenizer every call would be NOT_FOUND. */
    @Bean
    HealthIndicator tokenizersHealthIndicator(Tokenizers tokenizers) {
        return () -> tokenizers.isEmpty()
                ? Health.outOfService().withDetail("reason", "no tokenizer loaded yet (waiting for the registry)").build()
                : Health.up().withDetail("models", tokenizers.models()).build();
    }
}

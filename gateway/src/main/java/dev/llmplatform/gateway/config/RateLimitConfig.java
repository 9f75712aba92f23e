package dev.llmplatform.gateway.config;

import dev.llmplatform.gateway.ratelimit.InMemoryRateLimitStore;
import dev.llmplatform.gateway.ratelimit.RateLimitStore;
import dev.llmplatform.gateway.ratelimit.RedisRateLimitStore;
import java.time.Clock;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

@Configuration(proxyBeanMethods = false)
class RateLimitConfig {

    @Bean
    RateLimitStore rateLimitStore(GatewayProperties properties, ObjectProvider<ReactiveStringRedisTemplate> redis) {
        var settings = properties.rateLimit();
        return switch (settings.store()) {
            case "memory" -> new InMemoryRateLimitStore(Clock.systemUTC());
            case "redis" -> new RedisRateLimitStore(redis.getObject(), settings.redisKeyPrefix());
            default -> throw new IllegalStateException("gateway.rate-limit.store must be 'memory' or 'redis', not '" + settings.store() + "'");
        };
    }
}

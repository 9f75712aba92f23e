package dev.llmplatform.gateway.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * @param schedulerTarget   where the scheduler's gRPC API listens, in Spring gRPC's target syntax
 * @param keys              the API keys, each stored as the SHA-256 hex of the key (see docs/gateway.md for how
 *                          to hash one)
 * @param apiKeys           plain-text keys with the "inference" scope and default limits, hashed at start-up;
 *                          kept so that GATEWAY_API_KEYS=a,b (the platform script, compose) keeps working
 * @param adminKeys         plain-text keys with the "inference" and "admin" scopes, as apiKeys
 * @param devKeySha256      the laptop default: while no key at all is configured (keys, apiKeys, adminKeys all
 *                          empty), the key with this hash, named "dev", has both scopes. The default is the hash
 *                          of the documented dev key "sk-llm-platform-dev"; configuring any key turns it off,
 *                          and so does an empty value
 * @param generationTimeout the gRPC deadline of one generation, streamed or not
 * @param requestTimeout    the gRPC deadline of the other, short, scheduler calls
 * @param maxRequestBytes   larger request bodies are refused with 413
 * @param registryHttpUrl   the model registry's admin REST API, where /admin/** is routed
 * @param retryAfter        what a 429 tells the client to wait when the scheduler is saturated and gave no hint
 * @param maxChoices        the largest n a request may ask for
 * @param httpReadTimeout   the longest pause allowed between two reads of a request body (a stalled client)
 * @param httpRequestTimeout the longest a client may take to send a whole request (headers and body)
 */
@ConfigurationProperties("gateway")
public record GatewayProperties(
        @DefaultValue("static://127.0.0.1:9095") String schedulerTarget,
        @DefaultValue List<KeyProperties> keys,
        @DefaultValue List<String> apiKeys,
        @DefaultValue List<String> adminKeys,
        @DefaultValue("aa1ef0933273fb5e20f0fa25f580dcca58ac8c40554d3188bf8d73e8cc68dfac") String devKeySha256,
        @DefaultValue("10m") Duration generationTimeout,
        @DefaultValue("30s") Duration requestTimeout,
        @DefaultValue("1MB") DataSize maxRequestBytes,
        @DefaultValue("http://127.0.0.1:8081") String registryHttpUrl,
        @DefaultValue("1s") Duration retryAfter,
        @DefaultValue("16") int maxChoices,
        @DefaultValue("30s") Duration httpReadTimeout,
        @DefaultValue("60s") Duration httpRequestTimeout,
        @DefaultValue RateLimit rateLimit,
        @DefaultValue Resilience resilience) {

    /**
     * One API key.
     *
     * @param name              what logs and metrics call the key (never the key itself)
     * @param sha256            the lower-case hex SHA-256 of the key's UTF-8 bytes
     * @param scopes            "inference" for /v1/**, "admin" for /admin/**
     * @param requestsPerMinute the key's request budget; 0 for none
     * @param tokensPerMinute   the key's token budget (prompt + completion); 0 for none
     */
    public record KeyProperties(
            String name,
            String sha256,
            @DefaultValue("inference") List<String> scopes,
            @DefaultValue("600") long requestsPerMinute,
            @DefaultValue("1000000") long tokensPerMinute) {
    }

    /**
     * @param store                  where budgets live: "memory" (one replica, the laptop default) or "redis"
     *                               (shared by every replica on the same Redis; spring.data.redis.* says which)
     * @param redisKeyPrefix         namespaces the budgets' Redis keys
     * @param defaultCompletionTokens what a request that sets no max_tokens is charged at admission, before
     *                               it settles to its real usage
     */
    public record RateLimit(
            @DefaultValue("memory") String store,
            @DefaultValue("llm-gateway:ratelimit:") String redisKeyPrefix,
            @DefaultValue("1024") int defaultCompletionTokens) {
    }

    /**
     * Resilience4j settings in front of the scheduler. Each route ("chat.completions", "completions",
     * "models") has its own breaker and bulkhead with these settings.
     *
     * @param timeToFirstToken      how long a call may take to produce its first chunk (or, unary, its answer);
     *                              what comes after is bounded only by generationTimeout, so a long answer is
     *                              not a timeout
     * @param routeTimeToFirstToken the same per route, where a route needs its own
     * @param failureRateThreshold  percentage of failed calls that opens the breaker
     * @param slidingWindowSize     calls the failure rate is computed over
     * @param minimumNumberOfCalls  calls before the failure rate counts
     * @param waitInOpenState       how long an open breaker refuses calls (also the Retry-After it sends)
     * @param maxConcurrentCalls    the bulkhead: concurrent scheduler calls per route
     * @param retryAttempts         attempts (first one included) for a call that failed before its first chunk
     * @param retryWait             the pause between those attempts
     */
    public record Resilience(
            @DefaultValue("60s") Duration timeToFirstToken,
            @DefaultValue Map<String, Duration> routeTimeToFirstToken,
            @DefaultValue("50") float failureRateThreshold,
            @DefaultValue("20") int slidingWindowSize,
            @DefaultValue("10") int minimumNumberOfCalls,
            @DefaultValue("10s") Duration waitInOpenState,
            @DefaultValue("256") int maxConcurrentCalls,
            @DefaultValue("2") int retryAttempts,
            @DefaultValue("200ms") Duration retryWait) {

        public Duration timeToFirstToken(String route) {
            return routeTimeToFirstToken.getOrDefault(route, timeToFirstToken);
        }
    }
}

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
 * @param httpHeaderTimeout the longest a connection may take, from opening (or from the first byte of a later
 *                          request on a kept-alive connection), to deliver a complete request head; else it is closed
 * @param httpIdleTimeout   how long a connection may wait without a request before it is closed
 * @param maxConnections    open client connections at most; past it a new one gets a raw 503 and is closed
 * @param maxAdminUploadBytes the body limit of an admin-key request under /admin (model uploads streamed to the
 *                          registry), which is exempt from maxRequestBytes
 * @param registryTarget    the model registry's gRPC API (files and batches are stored there), in Spring gRPC's
 *                          target syntax
 * @param maxFileUploadBytes the body limit of POST /v1/files (a batch input file, streamed to the registry),
 *                          which is exempt from maxRequestBytes; the registry enforces its own limit on the file
 * @param keysFile          an optional YAML/JSON file of more API keys (docs/gateway.md), re-read when it changes
 * @param keysFilePollInterval how often the keys file is checked for changes
 * @param authFailures      the throttle on failed authentication per client address
 * @param limits            what a single request may ask of the backend
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
        @DefaultValue("10s") Duration httpHeaderTimeout,
        @DefaultValue("60s") Duration httpIdleTimeout,
        @DefaultValue("2048") int maxConnections,
        @DefaultValue("16GB") DataSize maxAdminUploadBytes,
        @DefaultValue("static://127.0.0.1:9091") String registryTarget,
        @DefaultValue("200MB") DataSize maxFileUploadBytes,
        @DefaultValue("") String keysFile,
        @DefaultValue("5s") Duration keysFilePollInterval,
        @DefaultValue AuthFailures authFailures,
        @DefaultValue Limits limits,
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
     * @param batchTokensPerDay the key's budget of batch tokens (prompt + completion of its batch lines) over a rolling
     *                          24 h, separate from the interactive budgets; 0 for none
     */
    public record KeyProperties(
            String name,
            String sha256,
            @DefaultValue("inference") List<String> scopes,
            @DefaultValue("600") long requestsPerMinute,
            @DefaultValue("1000000") long tokensPerMinute,
            @DefaultValue("0") long batchTokensPerDay) {
    }

    /**
     * Failed authentications (an unknown key) per client address: past the limit the address gets 429s, its keys
     * unchecked, until its budget refills, so keys cannot be guessed at line speed.
     *
     * @param maxPerMinute          failures allowed per minute (a token bucket: this many at once, refilled evenly)
     * @param maxTrackedAddresses   addresses remembered at most; the least recently seen is forgotten first
     * @param trustedProxies        socket addresses (exact IPs) whose X-Forwarded-For is believed; by default none,
     *                              so the client address is the socket's
     */
    public record AuthFailures(
            @DefaultValue("20") int maxPerMinute,
            @DefaultValue("100000") int maxTrackedAddresses,
            @DefaultValue List<String> trustedProxies) {
    }

    /**
     * Cost limits, checked while the body is parsed, before any work starts.
     *
     * @param maxMessages         chat messages per request
     * @param maxPromptCharacters characters of all message contents / the prompt / all embeddings inputs together
     * @param maxSchemaBytes      size of each of tools, functions, tool_choice and response_format (as JSON)
     * @param maxEmbeddingInputs  inputs per embeddings request
     */
    public record Limits(
            @DefaultValue("2048") int maxMessages,
            @DefaultValue("1000000") int maxPromptCharacters,
            @DefaultValue("64KB") DataSize maxSchemaBytes,
            @DefaultValue("2048") int maxEmbeddingInputs) {

        /** The defaults above, for the request parsers called without configuration. */
        public static final Limits DEFAULTS = new Limits(2048, 1_000_000, DataSize.ofKilobytes(64), 2048);
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
     * @param waitInOpenState       how long an open breaker refuses calls at most (also the Retry-After it sends);
     *                              it closes sooner once the scheduler's health service answers SERVING
     * @param recoveryProbeInterval how often an open breaker asks the scheduler's health service
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
            @DefaultValue("250ms") Duration recoveryProbeInterval,
            @DefaultValue("256") int maxConcurrentCalls,
            @DefaultValue("2") int retryAttempts,
            @DefaultValue("200ms") Duration retryWait) {

        public Duration timeToFirstToken(String route) {
            return routeTimeToFirstToken.getOrDefault(route, timeToFirstToken);
        }
    }
}

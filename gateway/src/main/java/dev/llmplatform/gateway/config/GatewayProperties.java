package dev.llmplatform.gateway.config;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * @param schedulerTarget   where the scheduler's gRPC API listens, in Spring gRPC's target syntax
 * @param apiKeys           bearer keys accepted on /v1/**; empty turns authentication off (laptop mode).
 *                          GATEWAY_API_KEYS=a,b binds here
 * @param adminKeys         bearer keys accepted on /admin/** (and on /v1/**); with no admin keys the admin API
 *                          is open only while apiKeys is empty too
 * @param generationTimeout the gRPC deadline of one generation, streamed or not
 * @param requestTimeout    the gRPC deadline of the other, short, scheduler calls
 * @param maxRequestBytes   larger request bodies are refused with 413
 * @param registryHttpUrl   the model registry's admin REST API, where /admin/** is routed
 * @param retryAfter        what a 429 tells the client to wait when the scheduler is saturated
 */
@ConfigurationProperties("gateway")
public record GatewayProperties(
        @DefaultValue("static://127.0.0.1:9095") String schedulerTarget,
        @DefaultValue List<String> apiKeys,
        @DefaultValue List<String> adminKeys,
        @DefaultValue("10m") Duration generationTimeout,
        @DefaultValue("30s") Duration requestTimeout,
        @DefaultValue("1MB") DataSize maxRequestBytes,
        @DefaultValue("http://127.0.0.1:8081") String registryHttpUrl,
        @DefaultValue("1s") Duration retryAfter) {
}

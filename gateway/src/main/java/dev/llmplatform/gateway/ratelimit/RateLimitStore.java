package dev.llmplatform.gateway.ratelimit;

import reactor.core.publisher.Mono;

/**
 * Where the budgets live. Both implementations run the same token-bucket arithmetic ({@link TokenBuckets});
 * the in-memory one for a single replica, the Redis one so that every replica spends from one budget.
 */
public interface RateLimitStore {

    /** Takes {@code requests} and {@code tokens} together, or neither. */
    Mono<Admission> acquire(String key, Budget budget, long requests, long tokens);

    /**
     * Puts back (negative {@code tokens}) or takes more (positive) once a request's real usage is known. It
     * may take the bucket below zero: a request that used more than estimated is paid for by the next ones.
     */
    Mono<Void> adjustTokens(String key, Budget budget, long tokens);
}

package dev.llmplatform.gateway.ratelimit;

import java.time.Clock;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import reactor.core.publisher.Mono;

/** Budgets in this JVM only: right for one replica (the laptop default), wrong for several. */
public final class InMemoryRateLimitStore implements RateLimitStore {

    private final Clock clock;
    private final ConcurrentMap<String, Buckets> buckets = new ConcurrentHashMap<>();

    public InMemoryRateLimitStore(Clock clock) {
        this.clock = clock;
    }

    private static final class Buckets {
        double requests = Double.NaN;
        double tokens = Double.NaN;
        long updated;
    }

    @Override
    public Mono<Admission> acquire(String key, Budget budget, long requests, long tokens) {
        return Mono.fromSupplier(() -> {
            Buckets b = buckets.computeIfAbsent(key, k -> new Buckets());
            synchronized (b) {
                refill(b, budget);
                long waitRequests = budget.requestsPerMinute() > 0
                        ? TokenBuckets.millisUntil(b.requests, requests, budget.requestsPerMinute()) : 0;
                long waitTokens = budget.tokensPerMinute() > 0
                        ? TokenBuckets.millisUntil(b.tokens, tokens, budget.tokensPerMinute()) : 0;
                if (waitRequests > 0 || waitTokens > 0) {
                    var limit = waitRequests > 0 ? Admission.Limit.REQUESTS : Admission.Limit.TOKENS;
                    return new Admission.Rejected(limit, Math.max(waitRequests, waitTokens),
                            TokenBuckets.state(b.requests, budget.requestsPerMinute()),
                            TokenBuckets.state(b.tokens, budget.tokensPerMinute()));
                }
                b.requests -= requests;
                b.tokens -= tokens;
                return new Admission.Admitted(TokenBuckets.state(b.requests, budget.requestsPerMinute()),
                        TokenBuckets.state(b.tokens, budget.tokensPerMinute()));
            }
        });
    }

    @Override
    public Mono<Void> adjustTokens(String key, Budget budget, long tokens) {
        return Mono.fromRunnable(() -> {
            Buckets b = buckets.computeIfAbsent(key, k -> new Buckets());
            synchronized (b) {
                refill(b, budget);
                long capacity = budget.tokensPerMinute();
                b.tokens = Math.max(-capacity, Math.min(capacity, b.tokens - tokens));
            }
        });
    }

    private void refill(Buckets b, Budget budget) {
        long now = clock.millis();
        if (Double.isNaN(b.requests)) {
            b.requests = budget.requestsPerMinute();
            b.tokens = budget.tokensPerMinute();
        } else {
            b.requests = TokenBuckets.refill(b.requests, b.updated, now, budget.requestsPerMinute());
            b.tokens = TokenBuckets.refill(b.tokens, b.updated, now, budget.tokensPerMinute());
        }
        b.updated = now;
    }
}

package dev.llmplatform.gateway.ratelimit;

import java.util.List;
import org.springframework.core.io.ClassPathResource;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import reactor.core.publisher.Mono;

/**
 * Budgets in Redis, shared by every gateway replica that uses the same Redis and key prefix. One Lua script
 * decides both limits of a request in a single atomic round trip, on Redis's own clock (TIME), so replicas
 * with drifting clocks still agree. Chosen over Bucket4j because a request spends different amounts from two
 * buckets (1 request, n tokens) that must be taken together or not at all, and a request's tokens are settled
 * afterwards, possibly into debt; both are a few lines of Lua and awkward through Bucket4j's API.
 */
public final class RedisRateLimitStore implements RateLimitStore {

    @SuppressWarnings("rawtypes")
    private static final RedisScript<List> SCRIPT = RedisScript.of(new ClassPathResource("ratelimit/token-buckets.lua"), List.class);

    private final ReactiveStringRedisTemplate redis;
    private final String prefix;

    public RedisRateLimitStore(ReactiveStringRedisTemplate redis, String prefix) {
        this.redis = redis;
        this.prefix = prefix;
    }

    @Override
    public Mono<Admission> acquire(String key, Budget budget, long requests, long tokens) {
        return run(key, budget, "acquire", requests, tokens).map(r -> {
            var requestState = state(r, 3, budget.requestsPerMinute());
            var tokenState = state(r, 5, budget.tokensPerMinute());
            if (r.get(0) == 1) {
                return new Admission.Admitted(requestState, tokenState);
            }
            var limit = r.get(1) == 1 ? Admission.Limit.REQUESTS : Admission.Limit.TOKENS;
            return new Admission.Rejected(limit, r.get(2), requestState, tokenState);
        });
    }

    @Override
    public Mono<Void> adjustTokens(String key, Budget budget, long tokens) {
        if (budget.tokensPerMinute() <= 0) {
            return Mono.empty();
        }
        return run(key, budget, "adjust", 0, tokens).then();
    }

    private Mono<List<Long>> run(String key, Budget budget, String mode, long requests, long tokens) {
        // the hash tag keeps a key's two buckets in one Redis Cluster slot, as a multi-key script needs
        String base = prefix + "{" + key + "}:";
        return redis.execute(SCRIPT, List.of(base + "requests", base + "tokens"),
                        List.of(Long.toString(budget.requestsPerMinute()), Long.toString(budget.tokensPerMinute()), mode,
                                Long.toString(requests), Long.toString(tokens)))
                .next()
                .map(RedisRateLimitStore::longs);
    }

    @SuppressWarnings("unchecked")
    private static List<Long> longs(Object reply) {
        return ((List<Object>) reply).stream().map(v -> ((Number) v).longValue()).toList();
    }

    private static BucketState state(List<Long> r, int at, long capacity) {
        return capacity <= 0 ? BucketState.UNLIMITED : new BucketState(capacity, r.get(at), r.get(at + 1));
    }
}

package dev.llmplatform.gateway.ratelimit;

import dev.llmplatform.gateway.domain.ApiKey;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Spends a key's budget and reports it the way OpenAI does: x-ratelimit-limit-, -remaining- and -reset-
 * requests/tokens on every response, and a 429 with Retry-After when the budget runs short. A generation is
 * charged its estimate (prompt + max_tokens) at admission and settled to its real usage when it ends.
 */
@Component
public class RateLimiter {

    private final RateLimitStore store;
    private final MeterRegistry meters;

    public RateLimiter(RateLimitStore store, MeterRegistry meters) {
        this.store = store;
        this.meters = meters;
        // registered before the first rejection, so dashboards and alerts see 0 rather than no series
        for (Admission.Limit limit : Admission.Limit.values()) {
            meters.counter("gateway.ratelimit.rejections", "limit", limit.label());
        }
    }

    /**
     * Takes {@code requests} and {@code tokens} from the key's budget and writes the headers, or fails with
     * {@link RateLimitExceededException}. An estimate larger than the whole budget is charged as the whole
     * budget, so that a large request waits for a full bucket rather than never running.
     *
     * @return the tokens actually charged, what {@link #settle} later corrects
     */
    public Mono<Long> admit(ServerWebExchange exchange, ApiKey key, long requests, long tokens) {
        Budget budget = budget(key);
        long charged = budget.tokensPerMinute() > 0 ? Math.min(tokens, budget.tokensPerMinute()) : 0;
        return store.acquire(key.name(), budget, requests, charged).flatMap(admission -> {
            HttpHeaders headers = new HttpHeaders();
            write(admission, headers);
            exchange.getResponse().getHeaders().putAll(headers);
            if (admission instanceof Admission.Rejected rejected) {
                meters.counter("gateway.ratelimit.rejections", "limit", rejected.limit().label()).increment();
                long seconds = Math.max(1, (rejected.retryAfterMillis() + 999) / 1000);
                headers.set(HttpHeaders.RETRY_AFTER, Long.toString(seconds));
                return Mono.error(new RateLimitExceededException(message(key, rejected, requests, charged), rejected.limit(), headers));
            }
            return Mono.just(charged);
        });
    }

    /** Puts back what the estimate overcharged, or takes what it undercharged. Never fails the caller. */
    public Mono<Void> settle(ApiKey key, long charged, long used) {
        Budget budget = budget(key);
        if (budget.tokensPerMinute() <= 0 || charged == used) {
            return Mono.empty();
        }
        return store.adjustTokens(key.name(), budget, used - charged).onErrorResume(e -> Mono.empty());
    }

    private static Budget budget(ApiKey key) {
        return new Budget(key.requestsPerMinute(), key.tokensPerMinute());
    }

    private static void write(Admission admission, HttpHeaders headers) {
        write("requests", admission.requests(), headers);
        write("tokens", admission.tokens(), headers);
    }

    private static void write(String kind, BucketState state, HttpHeaders headers) {
        if (!state.limited()) {
            return;
        }
        headers.set("x-ratelimit-limit-" + kind, Long.toString(state.limit()));
        headers.set("x-ratelimit-remaining-" + kind, Long.toString(state.remaining()));
        headers.set("x-ratelimit-reset-" + kind, duration(state.resetMillis()));
    }

    private static String message(ApiKey key, Admission.Rejected rejected, long requests, long tokens) {
        String kind = rejected.limit().label();
        BucketState state = rejected.limit() == Admission.Limit.REQUESTS ? rejected.requests() : rejected.tokens();
        long requested = rejected.limit() == Admission.Limit.REQUESTS ? requests : tokens;
        return "Rate limit reached for " + kind + " per minute on key '" + key.name() + "': limit " + state.limit()
                + ", remaining " + state.remaining() + ", requested " + requested + ". Please try again in "
                + duration(rejected.retryAfterMillis()) + ".";
    }

    /** A duration as OpenAI writes it in x-ratelimit-reset-*: "20ms", "1.5s", "6m0s". */
    static String duration(long millis) {
        if (millis < 1000) {
            return millis + "ms";
        }
        if (millis < 60_000) {
            String seconds = String.format(Locale.ROOT, "%.3f", millis / 1000.0).replaceAll("\\.?0+$", "");
            return seconds + "s";
        }
        long minutes = millis / 60_000;
        String seconds = String.format(Locale.ROOT, "%.3f", (millis % 60_000) / 1000.0).replaceAll("\\.?0+$", "");
        return minutes + "m" + seconds + "s";
    }
}

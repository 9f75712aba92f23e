package dev.llmplatform.gateway.filters;

import dev.llmplatform.gateway.domain.ApiKey;
import dev.llmplatform.gateway.ratelimit.RateLimiter;
import dev.llmplatform.gateway.security.ApiKeyFilter;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Every authenticated /v1 request spends one from its key's request budget before anything else happens.
 * Tokens are charged later, by the generation handler, once the body says how many the request may use.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 15)
public class RequestRateLimitFilter implements WebFilter {

    private final RateLimiter limiter;

    public RequestRateLimitFilter(RateLimiter limiter) {
        this.limiter = limiter;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        ApiKey key = ApiKeyFilter.key(exchange);
        if (key == null || !key.has(ApiKey.INFERENCE) || !exchange.getRequest().getPath().value().startsWith("/v1")) {
            return chain.filter(exchange);
        }
        return limiter.admit(exchange, key, 1, 0).then(chain.filter(exchange));
    }
}

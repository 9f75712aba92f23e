package dev.llmplatform.gateway.security;

import dev.llmplatform.gateway.errors.ApiException;
import java.util.List;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * First of all filters: replaces the request's path by its {@link CanonicalPath} (decoded once) so that the key
 * check, the routes and the proxied request all see the same path, and removes headers that some server or
 * framework downstream might read as another path or method. A path with more than one reading is a 400 and
 * goes nowhere.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class CanonicalPathFilter implements WebFilter {

    /** Path and method overrides honoured by some proxies and frameworks, and the principal only the gateway sets. */
    static final List<String> STRIPPED_HEADERS = List.of("X-Original-URL", "X-Rewrite-URL", "X-HTTP-Method-Override",
            "X-HTTP-Method", "X-Method-Override", "X-Forwarded-Prefix", ApiKeyFilter.PRINCIPAL_HEADER);

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        ServerHttpRequest request = exchange.getRequest();
        String raw = request.getURI().getRawPath();
        String canonical;
        try {
            canonical = CanonicalPath.of(raw);
        } catch (ApiException refused) {
            return Mono.error(refused);
        }
        boolean samePath = canonical.equals(raw);
        boolean cleanHeaders = STRIPPED_HEADERS.stream().noneMatch(request.getHeaders()::containsHeader);
        if (samePath && cleanHeaders) {
            return chain.filter(exchange);
        }
        ServerHttpRequest mutated = request.mutate()
                .path(canonical)
                .headers(headers -> STRIPPED_HEADERS.forEach(headers::remove))
                .build();
        return chain.filter(exchange.mutate().request(mutated).build());
    }
}

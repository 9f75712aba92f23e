package dev.llmplatform.gateway.api;

import dev.llmplatform.gateway.config.GatewayProperties;
import dev.llmplatform.gateway.domain.ApiKeyRing;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Bearer-key authentication: /v1/** takes an API key or an admin key, /admin/** an admin key,
 * everything else (actuator probes and metrics) is open. With no API keys configured the gateway runs
 * open, as on a laptop; the admin API then stays open only if no admin keys are configured either.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
public class ApiKeyFilter implements WebFilter {

    private static final String BEARER = "Bearer ";

    private final ApiKeyRing apiKeys;
    private final ApiKeyRing adminKeys;

    public ApiKeyFilter(GatewayProperties properties) {
        this.apiKeys = ApiKeyRing.of(properties.apiKeys());
        this.adminKeys = ApiKeyRing.of(properties.adminKeys());
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        boolean admin = isUnder(path, "/admin");
        if (!admin && !isUnder(path, "/v1")) {
            return chain.filter(exchange);
        }
        if (apiKeys.isEmpty() && (!admin || adminKeys.isEmpty())) {
            return chain.filter(exchange);
        }
        String key = bearerKey(exchange.getRequest().getHeaders());
        if (key == null) {
            return Mono.error(unauthorized("You didn't provide an API key. Send it in the Authorization header as 'Bearer YOUR_KEY'."));
        }
        boolean accepted = adminKeys.accepts(key) || (!admin && apiKeys.accepts(key));
        return accepted ? chain.filter(exchange) : Mono.error(unauthorized("Incorrect API key provided."));
    }

    private static boolean isUnder(String path, String prefix) {
        return path.equals(prefix) || path.startsWith(prefix + "/");
    }

    private static String bearerKey(HttpHeaders headers) {
        String authorization = headers.getFirst(HttpHeaders.AUTHORIZATION);
        if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        String key = authorization.substring(BEARER.length()).strip();
        return key.isEmpty() ? null : key;
    }

    private static ApiException unauthorized(String message) {
        return new ApiException(HttpStatus.UNAUTHORIZED, ApiException.INVALID_REQUEST, message, null, "invalid_api_key");
    }
}

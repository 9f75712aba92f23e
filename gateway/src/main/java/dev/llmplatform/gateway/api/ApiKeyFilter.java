package dev.llmplatform.gateway.api;

import dev.llmplatform.gateway.config.GatewayProperties;
import dev.llmplatform.gateway.domain.ApiKey;
import dev.llmplatform.gateway.domain.ApiKeyRing;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * Bearer-key authentication: /v1/** takes a key with the "inference" scope, /admin/** one with "admin";
 * everything else (actuator probes and metrics) is open. No valid key is a 401; a valid key without the
 * scope a 403. The key found is kept on the exchange for the rate limiter and the metrics.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
public class ApiKeyFilter implements WebFilter {

    private static final String BEARER = "Bearer ";
    private static final String ATTRIBUTE = ApiKeyFilter.class.getName() + ".key";

    private final ApiKeyRing keys;

    public ApiKeyFilter(GatewayProperties properties) {
        this.keys = ring(properties);
    }

    /** The key the request was authenticated with; null outside /v1 and /admin. */
    public static ApiKey key(ServerWebExchange exchange) {
        return exchange.getAttribute(ATTRIBUTE);
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        String scope = isUnder(path, "/admin") ? ApiKey.ADMIN : isUnder(path, "/v1") ? ApiKey.INFERENCE : null;
        if (scope == null) {
            return chain.filter(exchange);
        }
        String presented = bearerKey(exchange.getRequest().getHeaders());
        if (presented == null) {
            return Mono.error(unauthorized("You didn't provide an API key. Send it in the Authorization header as 'Bearer YOUR_KEY'."));
        }
        var key = keys.find(presented);
        if (key.isEmpty()) {
            return Mono.error(unauthorized("Incorrect API key provided."));
        }
        if (!key.get().has(scope)) {
            return Mono.error(new ApiException(HttpStatus.FORBIDDEN, ApiException.INVALID_REQUEST,
                    "The API key '" + key.get().name() + "' lacks the '" + scope + "' scope this endpoint requires.",
                    null, "insufficient_scope"));
        }
        exchange.getAttributes().put(ATTRIBUTE, key.get());
        return chain.filter(exchange);
    }

    static ApiKeyRing ring(GatewayProperties properties) {
        Map<String, ApiKey> byDigest = new LinkedHashMap<>();
        for (var k : properties.keys()) {
            if (k.name() == null || k.name().isBlank()) {
                throw new IllegalArgumentException("every gateway.keys entry needs a name");
            }
            put(byDigest, k.sha256(), new ApiKey(k.name(), Set.copyOf(k.scopes()), k.requestsPerMinute(), k.tokensPerMinute()));
        }
        var defaults = new GatewayProperties.KeyProperties("", "", List.of(), 600, 1_000_000);
        addPlain(byDigest, properties.apiKeys(), "api-key-", Set.of(ApiKey.INFERENCE), defaults);
        addPlain(byDigest, properties.adminKeys(), "admin-key-", Set.of(ApiKey.INFERENCE, ApiKey.ADMIN), defaults);
        if (byDigest.isEmpty() && properties.devKeySha256() != null && !properties.devKeySha256().isBlank()) {
            // nothing configured: a laptop. A deployment that configures any key never accepts the dev key.
            put(byDigest, properties.devKeySha256(), new ApiKey("dev", Set.of(ApiKey.INFERENCE, ApiKey.ADMIN),
                    defaults.requestsPerMinute(), defaults.tokensPerMinute()));
        }
        return ApiKeyRing.of(byDigest);
    }

    private static void addPlain(Map<String, ApiKey> byDigest, List<String> plain, String namePrefix, Set<String> scopes,
                                 GatewayProperties.KeyProperties limits) {
        var keys = plain.stream().map(String::strip).filter(k -> !k.isEmpty()).toList();
        for (int i = 0; i < keys.size(); i++) {
            put(byDigest, ApiKeyRing.sha256Hex(keys.get(i)),
                    new ApiKey(namePrefix + (i + 1), scopes, limits.requestsPerMinute(), limits.tokensPerMinute()));
        }
    }

    /** The same key configured twice keeps its first entry, whose name and limits the operator wrote out. */
    private static void put(Map<String, ApiKey> byDigest, String sha256, ApiKey key) {
        String digest = sha256 == null ? "" : sha256.strip().toLowerCase(java.util.Locale.ROOT);
        byDigest.putIfAbsent(digest, key);
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

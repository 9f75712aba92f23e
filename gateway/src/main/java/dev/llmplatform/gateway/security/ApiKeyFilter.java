package dev.llmplatform.gateway.security;

import dev.llmplatform.gateway.domain.ApiKey;
import dev.llmplatform.gateway.errors.ApiException;
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
 * Bearer-key authentication, deny by default: /admin/** takes a key with the "admin" scope, every other path
 * one with "inference", except the health probes (/actuator/health, /actuator/health/**), which are open. So an
 * unknown path without a key is a 401, not a 404. No valid key is a 401; a valid key without the scope a 403;
 * an address with too many failed keys a 429 without its key being looked at. The path checked is the
 * canonical one ({@link CanonicalPathFilter} ran first), the same one that is routed and forwarded. The key
 * found is kept on the exchange for the rate limiter, the metrics and the audit log, and its name is sent to
 * the registry as {@value #PRINCIPAL_HEADER}.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
public class ApiKeyFilter implements WebFilter {

    /** Tells the registry which key an admin request came with; set here only, removed from client requests. */
    public static final String PRINCIPAL_HEADER = "X-Platform-Principal";
    private static final String BEARER = "Bearer ";
    private static final String ATTRIBUTE = ApiKeyFilter.class.getName() + ".key";

    private final ApiKeys keys;
    private final AuthFailureThrottle throttle;
    private final ClientAddress clients;
    /** The port the management server actually bound (it may be chosen at random), -1 while it has none of its own. */
    private volatile int managementPort = -1;

    public ApiKeyFilter(ApiKeys keys, AuthFailureThrottle throttle, ClientAddress clients) {
        this.keys = keys;
        this.throttle = throttle;
        this.clients = clients;
    }

    /** The management server starts in a child context whose events reach this one. */
    @org.springframework.context.event.EventListener
    void onWebServerStarted(org.springframework.boot.web.server.context.WebServerInitializedEvent event) {
        if ("management".equals(event.getApplicationContext().getServerNamespace())) {
            managementPort = event.getWebServer().getPort();
        }
    }

    /** The key the request was authenticated with; null only for the open health probes (and a refused request). */
    public static ApiKey key(ServerWebExchange exchange) {
        return exchange.getAttribute(ATTRIBUTE);
    }

    /** The key, for handlers: a request without one never gets this far, and if it did it is a 401, never a null. */
    public static ApiKey requiredKey(ServerWebExchange exchange) {
        ApiKey key = key(exchange);
        if (key == null) {
            throw unauthorized("You didn't provide an API key. Send it in the Authorization header as 'Bearer YOUR_KEY'.");
        }
        return key;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        if (isOpen(path) || onManagementPort(exchange)) {
            return chain.filter(exchange);
        }
        String scope = isUnder(path, "/admin") ? ApiKey.ADMIN : ApiKey.INFERENCE;
        String client = clients.of(exchange);
        long wait = throttle.retryAfterSeconds(client);
        if (wait > 0) {
            var headers = new HttpHeaders();
            headers.set(HttpHeaders.RETRY_AFTER, Long.toString(wait));
            return Mono.error(new ApiException(HttpStatus.TOO_MANY_REQUESTS, ApiException.INVALID_REQUEST,
                    "Too many failed authentications from your address; retry in " + wait + " seconds.", null,
                    "too_many_failed_authentications", headers));
        }
        String presented = bearerKey(exchange.getRequest().getHeaders());
        if (presented == null) {
            return Mono.error(unauthorized("You didn't provide an API key. Send it in the Authorization header as 'Bearer YOUR_KEY'."));
        }
        var key = keys.ring().find(presented);
        if (key.isEmpty()) {
            throttle.failed(client);
            return Mono.error(unauthorized("Incorrect API key provided."));
        }
        exchange.getAttributes().put(ATTRIBUTE, key.get());
        if (!key.get().has(scope)) {
            return Mono.error(new ApiException(HttpStatus.FORBIDDEN, ApiException.INVALID_REQUEST,
                    "The API key '" + key.get().name() + "' lacks the '" + scope + "' scope this endpoint requires.",
                    null, "insufficient_scope"));
        }
        if (scope.equals(ApiKey.ADMIN)) {
            var request = exchange.getRequest().mutate()
                    .headers(headers -> headers.set(PRINCIPAL_HEADER, key.get().name()))
                    .build();
            return chain.filter(exchange.mutate().request(request).build());
        }
        return chain.filter(exchange);
    }

    /** Exactly the health probes: orchestrators call them without a key. */
    static boolean isOpen(String path) {
        return path.equals("/actuator/health") || path.startsWith("/actuator/health/");
    }

    public static boolean isUnder(String path, String prefix) {
        return path.equals(prefix) || path.startsWith(prefix + "/");
    }

    // Actuator on its own management port (management.server.port, bound to loopback / the cluster network) is not
    // the public API: Prometheus scrapes it without a key. WebFlux applies this filter to that port too.
    private boolean onManagementPort(ServerWebExchange exchange) {
        var local = exchange.getRequest().getLocalAddress();
        return managementPort > 0 && local != null && local.getPort() == managementPort;
    }

    private static String bearerKey(HttpHeaders headers) {
        String authorization = headers.getFirst(HttpHeaders.AUTHORIZATION);
        if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        String key = authorization.substring(BEARER.length()).strip();
        return key.isEmpty() ? null : key;
    }

    static ApiException unauthorized(String message) {
        return new ApiException(HttpStatus.UNAUTHORIZED, ApiException.INVALID_REQUEST, message, null, "invalid_api_key");
    }
}

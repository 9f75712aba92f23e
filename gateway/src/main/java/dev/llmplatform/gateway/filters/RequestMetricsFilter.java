package dev.llmplatform.gateway.filters;

import dev.llmplatform.gateway.api.GatewayMetrics;
import dev.llmplatform.gateway.domain.ApiKey;
import dev.llmplatform.gateway.errors.OpenAiErrorHandler;
import dev.llmplatform.gateway.security.ApiKeyFilter;
import java.time.Duration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatusCode;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Counts and times every API request (gateway.requests, gateway.request.duration) once its response is done,
 * streamed ones included. The route is the endpoint, never the raw path; the key tag is the key's name.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 5)
public class RequestMetricsFilter implements WebFilter {

    private static final String MODEL = RequestMetricsFilter.class.getName() + ".model";

    private final GatewayMetrics metrics;
    private final OpenAiErrorHandler errors;

    public RequestMetricsFilter(GatewayMetrics metrics, OpenAiErrorHandler errors) {
        this.metrics = metrics;
        this.errors = errors;
    }

    /** The handler says which model the request was for. */
    public static void model(ServerWebExchange exchange, String model) {
        exchange.getAttributes().put(MODEL, model);
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String route = route(exchange.getRequest().getPath().pathWithinApplication().value());
        if (route == null) {
            return chain.filter(exchange);
        }
        long start = System.nanoTime();
        // errors are answered here rather than after this filter, so that the status counted is the one sent
        return chain.filter(exchange).onErrorResume(error -> errors.handle(exchange, error)).doFinally(signal -> {
            HttpStatusCode status = exchange.getResponse().getStatusCode();
            int code = status == null ? 200 : status.value();
            ApiKey key = ApiKeyFilter.key(exchange);
            metrics.request(route, exchange.getAttribute(MODEL), code, key == null ? "none" : key.name(),
                    Duration.ofNanos(System.nanoTime() - start));
        });
    }

    /** The route tag: the endpoint's name, or "other" under /v1, or null for what is not the API. */
    static String route(String path) {
        return switch (path) {
            case "/v1/chat/completions" -> "chat-completions";
            case "/v1/completions" -> "completions";
            case "/v1/embeddings" -> "embeddings";
            case "/v1/models" -> "models";
            default -> path.startsWith("/v1/models/") ? "models"
                    : path.startsWith("/v1/") || path.equals("/v1") ? "other"
                    : path.startsWith("/admin/") || path.equals("/admin") ? "admin" : null;
        };
    }
}

package dev.llmplatform.gateway.api;

import dev.llmplatform.gateway.config.GatewayProperties;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Refuses a declared Content-Length over the limit before reading a byte of it. A chunked body has no
 * length up front; {@link JsonBodyReader} stops reading it at the same limit.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 20)
public class RequestSizeFilter implements WebFilter {

    private final long maxBytes;

    public RequestSizeFilter(GatewayProperties properties) {
        this.maxBytes = properties.maxRequestBytes().toBytes();
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (exchange.getRequest().getHeaders().getContentLength() > maxBytes) {
            return Mono.error(ApiException.tooLarge(maxBytes));
        }
        return chain.filter(exchange);
    }
}

package dev.llmplatform.gateway.filters;

import dev.llmplatform.gateway.api.JsonBodyReader;
import dev.llmplatform.gateway.config.GatewayProperties;
import dev.llmplatform.gateway.domain.ApiKey;
import dev.llmplatform.gateway.errors.ApiException;
import dev.llmplatform.gateway.security.ApiKeyFilter;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Refuses a declared Content-Length over the limit before reading a byte of it. A chunked body has no
 * length up front; {@link JsonBodyReader} stops reading it at the same limit. Admin requests (an admin key,
 * under /admin: model uploads) have their own, much larger, limit: the proxy streams them to the registry
 * without holding them, so their size costs no memory here. So have batch input files (POST /v1/files), streamed to
 * the registry's file store.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 20)
public class RequestSizeFilter implements WebFilter {

    private final long maxBytes;
    private final long maxAdminBytes;
    private final long maxFileBytes;

    public RequestSizeFilter(GatewayProperties properties) {
        this.maxBytes = properties.maxRequestBytes().toBytes();
        this.maxAdminBytes = properties.maxAdminUploadBytes().toBytes();
        // the multipart framing around the file (boundaries, the purpose field) on top of the file itself
        this.maxFileBytes = properties.maxFileUploadBytes().toBytes() + 64 * 1024;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        long limit = isAdminUpload(exchange) ? maxAdminBytes : isFileUpload(exchange) ? maxFileBytes : maxBytes;
        if (exchange.getRequest().getHeaders().getContentLength() > limit) {
            return Mono.error(ApiException.tooLarge(limit));
        }
        return chain.filter(exchange);
    }

    /** POST /v1/files: streamed to the registry part by part, never held here. */
    private static boolean isFileUpload(ServerWebExchange exchange) {
        return exchange.getRequest().getMethod() == org.springframework.http.HttpMethod.POST
                && exchange.getRequest().getPath().pathWithinApplication().value().equals("/v1/files");
    }

    // ApiKeyFilter ran before: a key on the exchange under /admin is one with the admin scope
    private static boolean isAdminUpload(ServerWebExchange exchange) {
        ApiKey key = ApiKeyFilter.key(exchange);
        return key != null && key.has(ApiKey.ADMIN)
                && ApiKeyFilter.isUnder(exchange.getRequest().getPath().pathWithinApplication().value(), "/admin");
    }
}

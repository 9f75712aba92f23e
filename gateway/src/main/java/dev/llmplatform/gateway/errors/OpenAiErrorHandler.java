package dev.llmplatform.gateway.errors;

import dev.llmplatform.gateway.filters.RequestIdFilter;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebExceptionHandler;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every error leaves the gateway as OpenAI's {@code {"error": {...}}}, framework errors (unknown route,
 * wrong method, unsupported media type) included. Ordered ahead of Boot's own handler (-1).
 */
@Component
@Order(-2)
public class OpenAiErrorHandler implements WebExceptionHandler {

    private final ApiErrors errors;
    private final JsonMapper json;

    public OpenAiErrorHandler(ApiErrors errors, JsonMapper json) {
        this.errors = errors;
        this.json = json;
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable error) {
        var response = exchange.getResponse();
        if (response.isCommitted()) {
            return Mono.error(error); // a stream already under way reports its errors in-band
        }
        ApiException api = errors.translate(error, exchange);
        response.setStatusCode(api.status());
        HttpHeaders headers = response.getHeaders();
        headers.remove(HttpHeaders.CONTENT_LENGTH);
        headers.setContentType(MediaType.APPLICATION_JSON);
        api.headers().forEach(headers::put);
        if (!headers.containsHeader(RequestIdFilter.HEADER)) {
            headers.set(RequestIdFilter.HEADER, RequestIdFilter.requestId(exchange));
        }
        byte[] body = json.writeValueAsBytes(api.body());
        return response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(body)));
    }
}

package dev.llmplatform.gateway.api;

import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Every response carries an x-request-id: the client's own when it sent a sane one, otherwise one made
 * here. Handlers that start a generation pick the id first (see {@link #requestId}), so that the
 * completion id, the scheduler's request_id and the header agree when the client sent none.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class RequestIdFilter implements WebFilter {

    public static final String HEADER = "x-request-id";
    private static final String ATTRIBUTE = RequestIdFilter.class.getName() + ".id";
    // It travels on as gRPC ASCII metadata and into logs: keep it short and plain.
    private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String incoming = exchange.getRequest().getHeaders().getFirst(HEADER);
        if (incoming != null && SANE.matcher(incoming).matches()) {
            exchange.getAttributes().put(ATTRIBUTE, incoming);
        }
        exchange.getResponse().beforeCommit(() -> {
            exchange.getResponse().getHeaders().set(HEADER, requestId(exchange, () -> "req-" + randomId()));
            return Mono.empty();
        });
        return chain.filter(exchange);
    }

    /** The request's id, fixing it to {@code generated} if it has none yet. */
    public static String requestId(ServerWebExchange exchange, Supplier<String> generated) {
        return (String) exchange.getAttributes().computeIfAbsent(ATTRIBUTE, k -> generated.get());
    }

    public static String randomId() {
        return UUID.randomUUID().toString().replace("-", "");
    }
}

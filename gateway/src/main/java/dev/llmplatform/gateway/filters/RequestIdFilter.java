package dev.llmplatform.gateway.filters;

import dev.llmplatform.gateway.security.CanonicalPathFilter;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.MDC;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Every request has an id: the client's own x-request-id when it sent a sane one, otherwise one made here.
 * It is returned in the x-request-id response header, sent to the scheduler as gRPC metadata, and put into
 * the Reactor context under {@link #CONTEXT_KEY}, from where context propagation copies it into the logging
 * MDC of whatever thread works on the request (see {@code RequestIdLogging}).
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 1) // right after CanonicalPathFilter
public class RequestIdFilter implements WebFilter {

    public static final String HEADER = "x-request-id";
    /** The Reactor context key and the MDC key alike. */
    public static final String CONTEXT_KEY = "requestId";
    private static final String ATTRIBUTE = RequestIdFilter.class.getName() + ".id";
    // It travels on as gRPC ASCII metadata and into logs: keep it short and plain.
    private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String incoming = exchange.getRequest().getHeaders().getFirst(HEADER);
        String id = incoming != null && SANE.matcher(incoming).matches() ? incoming : "req-" + randomId();
        exchange.getAttributes().put(ATTRIBUTE, id);
        exchange.getResponse().getHeaders().set(HEADER, id);
        exchange.getResponse().beforeCommit(() -> {
            exchange.getResponse().getHeaders().set(HEADER, id);
            return Mono.empty();
        });
        MDC.put(CONTEXT_KEY, id); // the filter chain's first steps run on this thread, before any hop
        return chain.filter(exchange)
                .contextWrite(context -> context.put(CONTEXT_KEY, id))
                .doFinally(signal -> MDC.remove(CONTEXT_KEY));
    }

    /** The request's id. */
    public static String requestId(ServerWebExchange exchange) {
        String id = exchange.getAttribute(ATTRIBUTE);
        if (id == null) { // refused before this filter ran (CanonicalPathFilter): the same choice it would have made
            String incoming = exchange.getRequest().getHeaders().getFirst(HEADER);
            id = incoming != null && SANE.matcher(incoming).matches() ? incoming : "req-" + randomId();
            exchange.getAttributes().put(ATTRIBUTE, id);
        }
        return id;
    }

    public static String randomId() {
        return UUID.randomUUID().toString().replace("-", "");
    }
}
